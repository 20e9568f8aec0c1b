import { randomBytes } from "node:crypto";
import type { TableRef } from "../catalog/types";
import { openDedicated, closeDedicated } from "../copy/dedicated-connection";
import { openPostgres } from "../db/postgres-js";
import type { Queryable } from "../db/queryable";
import { createTestDatabases, type TestDatabases } from "../test-support/test-databases";
import { cdcNames, createSlot, dropSlotAndPublication, ensurePublication, type CdcNames } from "./slot";

/** Test support: source and target databases with a publication and slot for `tables`; drop() removes all. */
export interface CdcFixture extends TestDatabases {
  names: CdcNames;
  taskId: string;
  control: Queryable;
  publish(tables: TableRef[]): Promise<void>;
  createSlot(): Promise<string>;
  /** Runs `text` (several statements allowed) in one source transaction, flushed (synchronous commit). */
  sourceTx(text: string): Promise<void>;
}

export async function createCdcFixture(pgUrl: string, label: string): Promise<CdcFixture> {
  const dbs = await createTestDatabases(pgUrl, label);
  const taskId = `${label}_${randomBytes(4).toString("hex")}`;
  const names = cdcNames(taskId);
  const control = openPostgres(dbs.sourceUrl);
  return {
    ...dbs,
    names,
    taskId,
    control,
    publish: (tables) => ensurePublication(control, names.publication, tables),
    createSlot: async () => (await createSlot(control, names.slot)).consistentPoint,
    async sourceTx(text) {
      const sql = openDedicated(dbs.sourceUrl);
      try {
        await sql.unsafe(`BEGIN; SET LOCAL synchronous_commit = on; ${text}; COMMIT`);
      } finally {
        await closeDedicated(sql, false);
      }
    },
    async drop() {
      await dropSlotAndPublication(control, names);
      await control.close();
      await dbs.drop();
    },
  };
}
