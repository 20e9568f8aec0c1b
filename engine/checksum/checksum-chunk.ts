import type postgres from "postgres";
import type { TableInfo, TableRef } from "../catalog/types";
import type { RowFilter } from "../task-config";
import type { Chunk } from "../plan/chunk";
import { querySettled } from "../plan/session";
import { checksumSql } from "./checksum-sql";

export interface ChunkChecksum {
  rows: number;
  /** Decimal text of the hash sum; compare as strings. */
  hash: string;
}

/**
 * Count and order-independent hash of the rows a chunk owns (checksum-sql.ts), run under the fixed session
 * settings. Run on the source against `table` and on the target against `at = targetRef` with the same
 * TableInfo: equal rows give equal sums.
 */
export async function checksumChunk(
  sql: postgres.Sql,
  table: TableInfo,
  chunk: Chunk,
  filter?: readonly RowFilter[],
  at: TableRef = table,
): Promise<ChunkChecksum> {
  const [row] = await querySettled<{ rows: string; hash: string }>(sql, checksumSql(table, chunk, filter, at));
  return { rows: Number(row!.rows), hash: row!.hash };
}
