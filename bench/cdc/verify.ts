import type postgres from "postgres";
import { setTimeout as sleep } from "node:timers/promises";
import { tableDigest } from "../../engine/test-support/table-digest";

export interface TableCheck {
  table: string;
  rows: number;
  equal: boolean;
}

/** Count + md5 of the sorted rows of each public table on both sides (the oracle of the test suite). */
export async function compareTables(source: postgres.Sql, target: postgres.Sql, tables: readonly string[]): Promise<TableCheck[]> {
  const checks: TableCheck[] = [];
  for (const table of tables) {
    const ref = { schema: "public", name: table };
    const [s, t] = await Promise.all([tableDigest(source, ref), tableDigest(target, ref).catch(() => null)]);
    checks.push({ table, rows: s.count, equal: t !== null && t.count === s.count && t.md5 === s.md5 });
  }
  return checks;
}

/** Compares until every table is equal or the timeout passes; returns the last comparison. */
export async function waitEqual(source: postgres.Sql, target: postgres.Sql, tables: readonly string[], timeoutMs: number): Promise<TableCheck[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const checks = await compareTables(source, target, tables);
    if (checks.every((c) => c.equal) || Date.now() > deadline) return checks;
    await sleep(1_000);
  }
}

/** Current WAL insert position of the server, as text (`X/Y`). */
export async function currentLsn(sql: postgres.Sql): Promise<string> {
  const [row] = await sql<{ lsn: string }[]>`SELECT pg_current_wal_lsn()::text AS lsn`;
  return row!.lsn;
}

export async function walBytesBetween(sql: postgres.Sql, from: string, to: string): Promise<number> {
  const [row] = await sql<{ n: string }[]>`SELECT pg_wal_lsn_diff(${to}::pg_lsn, ${from}::pg_lsn)::text AS n`;
  return Number(row!.n);
}
