import type postgres from "postgres";
import type { TableInfo, TableRef } from "../catalog/types";
import type { RowFilter } from "../task-config";
import type { Chunk } from "../plan/chunk";
import { querySettled } from "../plan/session";
import { checksumAllChunksSql, checksumSql } from "./checksum-sql";

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

/** checksumChunk for every chunk of a table's plan in one scan (checksumAllChunksSql); a chunk without rows gets 0/"0". */
export async function checksumAllChunks(
  sql: postgres.Sql,
  table: TableInfo,
  chunks: readonly Chunk[],
  filter: readonly RowFilter[] | undefined,
  at: TableRef,
): Promise<IndexedChecksum[]> {
  const rows = await querySettled<{ chunk: string; rows: string; hash: string }>(sql, checksumAllChunksSql(table, chunks, filter, at));
  const found = new Map(rows.map((r) => [Number(r.chunk), { rows: Number(r.rows), hash: r.hash }]));
  return chunks.map((c) => ({ index: c.index, ...(found.get(c.index) ?? { rows: 0, hash: "0" }) }));
}

export interface IndexedChecksum extends ChunkChecksum {
  index: number;
}
