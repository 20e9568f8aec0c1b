import type postgres from "postgres";
import type { TableInfo } from "../catalog/types";
import { checksumChunk, type ChunkChecksum } from "../checksum/checksum-chunk";
import { quoteLiteral } from "../ddl/quote";
import type { Chunk } from "../plan/chunk";
import type { RowFilter } from "../task-config";

const BEGIN_SNAPSHOT = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

/**
 * Opens the source transaction a chunk's COPY runs in and exports its snapshot, so that the chunk's
 * checksum reads exactly the rows the COPY reads however the source is written meanwhile. The snapshot
 * stays importable only while this transaction is open: keep `sql` open until the import is done.
 */
export async function exportSnapshot(sql: postgres.Sql): Promise<string> {
  const results = (await sql.unsafe(`${BEGIN_SNAPSHOT};\nSELECT pg_export_snapshot() AS id`)) as unknown as { id: string }[][];
  return results[1]![0]!.id;
}

/**
 * The chunk's checksum on the source as of `snapshot`, on a dedicated connection of its own (`sql`, so it
 * runs while the COPY streams) that has run nothing in a transaction yet. The caller closes it.
 */
export async function checksumAtSnapshot(
  sql: postgres.Sql,
  snapshot: string,
  table: TableInfo,
  chunk: Chunk,
  filter: readonly RowFilter[] | undefined,
): Promise<ChunkChecksum> {
  await sql.unsafe(`${BEGIN_SNAPSHOT};\nSET TRANSACTION SNAPSHOT ${quoteLiteral(snapshot)}`);
  const sum = await checksumChunk(sql, table, chunk, filter);
  await sql.unsafe("COMMIT");
  return sum;
}
