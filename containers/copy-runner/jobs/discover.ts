import { cdcNames, createSlot, ensurePublication } from "../../../engine/cdc/slot";
import type { TableRef } from "../../../engine/catalog/types";
import { openPostgres } from "../../../engine/db/postgres-js";
import type { CdcSlot } from "../../../engine/jobs/protocol";

/** The task's publication (exactly the selected tables) and pgoutput slot on the source. */
export async function openSlot(taskId: string, url: string, tables: readonly TableRef[]): Promise<CdcSlot> {
  const names = cdcNames(taskId);
  const db = openPostgres(url, { connectTimeoutSeconds: 15 });
  try {
    await ensurePublication(db, names.publication, tables);
    const slot = await createSlot(db, names.slot);
    return { slot: names.slot, publication: names.publication, consistentPoint: slot.consistentPoint };
  } finally {
    await db.close();
  }
}
