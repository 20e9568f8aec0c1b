import type postgres from "postgres";
import type { TableInfo, TableRef } from "../catalog/types";
import type { RowFilter } from "../task-config";
import { qualify, quoteIdent } from "../ddl/quote";
import type { Chunk } from "../plan/chunk";
import { chunkCondition } from "../plan/chunk-condition";
import { querySettled } from "../plan/session";
import { literalBinder } from "../plan/sql-binder";

export interface ChunkChecksum {
  rows: number;
  /** Decimal text of the hash sum; compare as strings. */
  hash: string;
}

/**
 * Count and an order-independent hash of the rows a chunk owns, computed in the server: the sum, as
 * numeric (never overflows; sum(int8) is numeric), of the server's 64-bit `hashtextextended` over each row's
 * text form `ROW(c1, …)::text` — 3.5× cheaper than md5 here (2M rows: 0.43 s vs 1.5 s), and validation
 * reads every row twice. Hazard: the hash is the server's byte hash, identical on little-endian servers
 * (every platform PostgreSQL ships on today) but not between little- and big-endian ones.
 * The record text form tells NULL (nothing) from the empty string (`""`) and quotes every separator, so
 * distinct rows give distinct text. Run on the source against `table` and on the target against
 * `at = targetRef` with the same TableInfo, so both sides hash the same columns in the same order under
 * the same session settings (UTC, ISO dates, shortest exact floats): equal rows give equal sums.
 */
export async function checksumChunk(
  sql: postgres.Sql,
  table: TableInfo,
  chunk: Chunk,
  filter?: readonly RowFilter[],
  at: TableRef = table,
): Promise<ChunkChecksum> {
  const columns = [...table.columns].sort((a, b) => a.position - b.position).map((c) => quoteIdent(c.name));
  const where = chunkCondition(table, chunk, filter, literalBinder);
  const statement = `SELECT count(*)::text AS rows,
         coalesce(sum(hashtextextended(ROW(${columns.join(", ")})::text, 0)), 0)::text AS hash
    FROM ${qualify(at)} WHERE ${where}`;
  const [row] = await querySettled<{ rows: string; hash: string }>(sql, statement);
  return { rows: Number(row!.rows), hash: row!.hash };
}
