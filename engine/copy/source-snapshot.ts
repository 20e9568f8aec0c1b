import type postgres from "postgres";
import type { TableInfo } from "../catalog/types";
import { checksumChunk, type ChunkChecksum } from "../checksum/checksum-chunk";
import { quoteLiteral } from "../ddl/quote";
import type { Chunk } from "../plan/chunk";
import type { RowFilter } from "../task-config";
import { closeDedicated, openDedicated } from "./dedicated-connection";

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
 * The chunk's checksum on the source as of `snapshot`, on a connection of its own (so it runs while the
 * COPY streams), destroyed on failure like the copy's.
 */
export async function checksumAtSnapshot(
  url: string,
  snapshot: string,
  table: TableInfo,
  chunk: Chunk,
  filter: readonly RowFilter[] | undefined,
): Promise<ChunkChecksum> {
  const sql = openDedicated(url);
  let failed = true;
  try {
    await sql.unsafe(`${BEGIN_SNAPSHOT};\nSET TRANSACTION SNAPSHOT ${quoteLiteral(snapshot)}`);
    const sum = await checksumChunk(sql, table, chunk, filter);
    await sql.unsafe("COMMIT");
    failed = false;
    return sum;
  } finally {
    await closeDedicated(sql, failed);
  }
}
