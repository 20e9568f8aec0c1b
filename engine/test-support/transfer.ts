import type postgres from "postgres";
import type { TableInfo, TableRef } from "../catalog/types";
import type { RowFilter } from "../task-config";
import { prepareTarget, type TargetTableMode } from "../ddl/prepare-target";
import { copyChunk } from "../copy/copy-chunk";
import { finishTable } from "../copy/finish";
import { planChunks } from "../plan/plan-chunks";
import type { Chunk } from "../plan/chunk";

export interface TransferResult {
  chunks: Chunk[];
  chunkRows: number[];
  bytes: number;
}

/** The full-load path for one table, as the coordinator runs it: prepare, plan, copy every chunk, finish. */
export async function transferTable(
  dbs: { source: postgres.Sql; target: postgres.Sql; sourceUrl: string; targetUrl: string },
  table: TableInfo,
  options: { targetRef?: TableRef; chunkRows?: number; mode?: TargetTableMode; filter?: RowFilter[] } = {},
): Promise<TransferResult> {
  const { source, target } = dbs;
  const targetRef = options.targetRef ?? { schema: table.schema, name: table.name };
  const [prepared] = await prepareTarget(source, target, [{ table, targetRef }], options.mode);
  const chunks = await planChunks(source, table, { chunkRows: options.chunkRows ?? 250_000 });
  const chunkRows: number[] = [];
  let bytes = 0;
  for (const chunk of chunks) {
    // As the coordinator does: a first attempt into a table prepare created or emptied skips the clean.
    const cleanRange = options.mode === "append";
    const r = await copyChunk({ source: dbs.sourceUrl, target: dbs.targetUrl, table, targetRef, chunk, filter: options.filter, cleanRange });
    chunkRows.push(r.rows);
    bytes += r.bytes;
  }
  await finishTable({ source, target, table, targetRef, created: prepared!.created });
  return { chunks, chunkRows, bytes };
}
