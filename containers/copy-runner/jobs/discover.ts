import type postgres from "postgres";
import { cdcNames, createSlot, ensurePublication } from "../../../engine/cdc/slot";
import { listTables } from "../../../engine/catalog/discover";
import type { TableInfo, TableRef } from "../../../engine/catalog/types";
import { borrowPostgres, openPostgres } from "../../../engine/db/postgres-js";
import type { CdcSlot } from "../../../engine/jobs/protocol";

/**
 * The source's tables, read on the runner's pooled source connection, while the target's first pooled
 * connection is opened (each costs a round trip or three; prepare needs both right after).
 */
export async function discoverTables(source: postgres.Sql, target: postgres.Sql): Promise<TableInfo[]> {
  const [tables] = await Promise.all([listTables(borrowPostgres(source)), target.unsafe("SELECT 1")]);
  return tables;
}

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
