import type postgres from "postgres";
import type { TableInfo, TableRef } from "../catalog/types";
import type { RowFilter } from "../task-config";
import { prepareTarget, type TargetTableMode } from "../ddl/prepare-target";
import { copyChunk } from "../copy/copy-chunk";
import type { DedicatedCache } from "../copy/dedicated-cache";
import { finishTable } from "../copy/finish";
import { planChunks } from "../plan/plan-chunks";
import type { Chunk } from "../plan/chunk";
import type { ChunkChecksum } from "../checksum/checksum-chunk";
import { AppError } from "../errors/app-error";

export interface TransferResult {
  chunks: Chunk[];
  chunkRows: number[];
  bytes: number;
  /** Each chunk's checksum as its copy read it on the source and as finishTable read it on the target. */
  checksums: { source: ChunkChecksum; target: ChunkChecksum }[];
}

/**
 * The full-load path for one table, as the coordinator runs it: prepare, plan, copy every chunk, finish —
 * validated: throws CHECKSUM_MISMATCH (as the coordinator would re-copy) when a chunk's checksums differ.
 */
export async function transferTable(
  dbs: { source: postgres.Sql; target: postgres.Sql; sourceUrl: string; targetUrl: string },
  table: TableInfo,
  options: { targetRef?: TableRef; chunkRows?: number; mode?: TargetTableMode; filter?: RowFilter[]; connections?: DedicatedCache } = {},
): Promise<TransferResult> {
  const { source, target } = dbs;
  const targetRef = options.targetRef ?? { schema: table.schema, name: table.name };
  const [prepared] = await prepareTarget(source, target, [{ table, targetRef }], options.mode);
  const chunks = await planChunks(source, table, { chunkRows: options.chunkRows ?? 250_000 });
  const chunkRows: number[] = [];
  const sourceSums: ChunkChecksum[] = [];
  let bytes = 0;
  for (const chunk of chunks) {
    // As the coordinator does: a first attempt into a table prepare created or emptied skips the clean.
    const cleanRange = options.mode === "append";
    const r = await copyChunk({ source: dbs.sourceUrl, target: dbs.targetUrl, table, targetRef, chunk, filter: options.filter, cleanRange, validate: true, connections: options.connections });
    chunkRows.push(r.rows);
    sourceSums.push(r.checksum!);
    bytes += r.bytes;
  }
  const finished = await finishTable({ source, target, table, targetRef, created: prepared!.created, checksum: { chunks, filter: options.filter } });
  const checksums = chunks.map((chunk, i) => {
    const found = finished.checksums!.find((t) => t.index === chunk.index)!;
    return { source: sourceSums[i]!, target: { rows: found.rows, hash: found.hash } };
  });
  const differing = checksums.findIndex((c) => c.source.rows !== c.target.rows || c.source.hash !== c.target.hash);
  if (differing >= 0) throw new AppError("CHECKSUM_MISMATCH", `chunk ${differing} of ${table.schema}.${table.name}: ${JSON.stringify(checksums[differing])}`);
  return { chunks, chunkRows, bytes, checksums };
}
