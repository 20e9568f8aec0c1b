import type postgres from "postgres";
import { selectTables } from "../../../engine/catalog/select";
import { checksumChunk } from "../../../engine/checksum/checksum-chunk";
import { copyChunk } from "../../../engine/copy/copy-chunk";
import { finishTable } from "../../../engine/copy/finish";
import { prepareTarget } from "../../../engine/ddl/prepare-target";
import { AppError } from "../../../engine/errors/app-error";
import type { CopyChunkJob, FinishTableJob, Job, JobOutcome, PrepareJob } from "../../../engine/jobs/protocol";
import { planChunks } from "../../../engine/plan/plan-chunks";
import { targetRefFor } from "../../../engine/plan/variables";
import type { RowFilter } from "../../../engine/task-config";
import { discoverTables } from "./discover";
import type { Pools } from "./pools";

export interface Progress {
  rows: number;
  bytes: number;
}

/** Runs one job with the engine. `progress` is updated in place while a chunk streams. */
export async function executeJob(job: Job, pools: Pools, progress: Progress): Promise<JobOutcome> {
  const source = pools.get(job.source);
  const target = pools.get(job.target);
  switch (job.type) {
    case "prepare":
      return prepare(job, source, target);
    case "copy_chunk":
      return copy(job, source, target, progress);
    case "finish_table":
      return finish(job, source, target);
  }
}

async function prepare(job: PrepareJob, source: postgres.Sql, target: postgres.Sql): Promise<JobOutcome> {
  const selected = selectTables(await discoverTables(job.source.url), job.selection);
  const pairs = selected.map((table) => ({ table, targetRef: targetRefFor(table, job.options, job.variables) }));
  const seen = new Map<string, string>();
  for (const p of pairs) {
    const key = JSON.stringify([p.targetRef.schema, p.targetRef.name]);
    const other = seen.get(key);
    if (other) {
      throw new AppError("TARGET_NAME_COLLISION", `Tables ${other} and ${p.table.schema}.${p.table.name} would both be copied to ${p.targetRef.schema}.${p.targetRef.name}.`, { status: 400 });
    }
    seen.set(key, `${p.table.schema}.${p.table.name}`);
  }
  const prepared = await prepareTarget(source, target, pairs, job.options.targetTableMode);
  const tables = [];
  for (const p of prepared) {
    const chunks = await planChunks(source, p.table, { chunkRows: job.options.chunkRows });
    tables.push({ table: p.table, targetTable: p.targetRef, created: p.created, chunks });
  }
  return { type: "prepare", tables };
}

async function copy(job: CopyChunkJob, source: postgres.Sql, target: postgres.Sql, progress: Progress): Promise<JobOutcome> {
  const filter = job.filters as RowFilter[];
  const result = await copyChunk({
    source: job.source.url,
    target: job.target.url,
    table: job.table,
    targetRef: job.targetTable,
    chunk: job.chunk,
    filter,
    cleanRange: job.cleanRange,
    lockKey: `${job.taskId}/${job.targetTable.schema}.${job.targetTable.name}/${job.chunk.index}`,
    onProgress: (bytes) => {
      progress.bytes = bytes;
    },
  });
  progress.rows = result.rows;
  progress.bytes = result.bytes;
  let checksum = null;
  if (job.validate) {
    const [src, tgt] = await Promise.all([
      checksumChunk(source, job.table, job.chunk, filter),
      checksumChunk(target, job.table, job.chunk, filter, job.targetTable),
    ]);
    checksum = { source: src, target: tgt };
  }
  return { type: "copy_chunk", rows: result.rows, bytes: result.bytes, checksum };
}

async function finish(job: FinishTableJob, source: postgres.Sql, target: postgres.Sql): Promise<JobOutcome> {
  await finishTable({ source, target, table: job.table, targetRef: job.targetTable, created: job.created });
  return { type: "finish_table" };
}
