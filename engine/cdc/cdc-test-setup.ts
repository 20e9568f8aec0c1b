import { randomBytes } from "node:crypto";
import type { TableRef } from "../catalog/types";
import { openDedicated, closeDedicated } from "../copy/dedicated-connection";
import { openPostgres } from "../db/postgres-js";
import type { Queryable } from "../db/queryable";
import { createTestDatabases, type TestDatabases } from "../test-support/test-databases";
import type { TableMapping } from "./apply";
import { parseLsn } from "./lsn";
import { cdcNames, createSlot, dropSlotAndPublication, ensurePublication, type CdcNames } from "./slot";
import { emptyStreamStats, runCdcStream } from "./stream";

/** Test support: source and target databases with a publication and slot for `tables`; drop() removes all. */
export interface CdcFixture extends TestDatabases {
  names: CdcNames;
  taskId: string;
  control: Queryable;
  publish(tables: TableRef[]): Promise<void>;
  createSlot(): Promise<string>;
  /** Runs `text` (several statements allowed) in one source transaction, flushed (synchronous commit). */
  sourceTx(text: string): Promise<void>;
  /** Every pgoutput message in the slot so far, undecoded; the slot is not consumed. */
  peekChanges(): Promise<Uint8Array[]>;
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
    async peekChanges() {
      const rows = await dbs.source.unsafe<{ data: Uint8Array }[]>(
        `SELECT data FROM pg_logical_slot_peek_binary_changes($1, NULL, NULL, 'proto_version', '1', 'publication_names', $2)`,
        [names.slot, names.publication],
      );
      return rows.map((r) => r.data);
    },
    async drop() {
      await dropSlotAndPublication(control, names);
      await control.close();
      await dbs.drop();
    },
  };
}

/**
 * Streams the fixture's slot until it has confirmed everything the source wrote so far, then stops the
 * stream; rejects with the stream's own failure if it fails first.
 */
export async function drainStream(f: CdcFixture, mapping: TableMapping[], targetUrl = f.targetUrl): Promise<void> {
  const [row] = await f.source`SELECT pg_current_wal_flush_lsn()::text AS lsn`;
  const upto = parseLsn(row!.lsn as string);
  const controller = new AbortController();
  const done = runCdcStream({ source: f.sourceUrl, target: targetUrl, ...f.names, taskId: f.taskId, mapping, signal: controller.signal, stats: emptyStreamStats(), ackIntervalMs: 0 });
  const deadline = Date.now() + 30_000;
  try {
    for (;;) {
      const [slot] = await f.source`SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = ${f.names.slot}`;
      if (parseLsn(slot!.lsn as string) >= upto) break;
      if (Date.now() > deadline) throw new Error("the stream never caught up");
      await Promise.race([done, new Promise((r) => setTimeout(r, 25))]);
    }
  } finally {
    controller.abort();
  }
  await done;
}
