import type postgres from "postgres";
import type { TableInfo } from "../catalog/types";
import { checksumChunk, type ChunkChecksum } from "../checksum/checksum-chunk";
import { parseTxidSnapshot, type CopySnapshot } from "../cdc/copy-snapshot";
import { quoteLiteral } from "../ddl/quote";
import type { Chunk } from "../plan/chunk";
import type { RowFilter } from "../task-config";

const BEGIN_SNAPSHOT = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

/** The source transaction a chunk's COPY runs in, as beginSourceSnapshot opened it. */
export interface SourceSnapshot {
  /** With `export`: the snapshot id another connection can import (SET TRANSACTION SNAPSHOT). */
  exported: string | null;
  /** With `record`: what the COPY sees of the source (engine/cdc/copy-snapshot.ts). */
  copy: CopySnapshot | null;
}

/**
 * Opens the source transaction a chunk's COPY runs in (REPEATABLE READ, so every statement in it reads
 * the snapshot its first statement took). `export`: exports that snapshot, so that the chunk's checksum
 * reads exactly the rows the COPY reads however the source is written meanwhile; it stays importable only
 * while this transaction is open, so keep `sql` open until the import is done. `record`: returns the
 * snapshot's xmin, xmax and in-progress transactions and the WAL insert position read after it, which
 * change capture needs to tell the changes the copy already holds from those it must still apply.
 */
export async function beginSourceSnapshot(sql: postgres.Sql, options: { export: boolean; record: boolean }): Promise<SourceSnapshot> {
  const columns = [
    options.export ? "pg_export_snapshot() AS id" : null,
    options.record ? "txid_current_snapshot()::text AS snapshot, pg_current_wal_insert_lsn()::text AS lsn" : null,
  ].filter((c) => c !== null);
  if (columns.length === 0) throw new Error("beginSourceSnapshot: nothing asked for");
  const results = (await sql.unsafe(`${BEGIN_SNAPSHOT};\nSELECT ${columns.join(", ")}`)) as unknown as { id?: string; snapshot?: string; lsn?: string }[][];
  const row = results[1]![0]!;
  return { exported: row.id ?? null, copy: options.record ? parseTxidSnapshot(row.snapshot!, row.lsn!) : null };
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
