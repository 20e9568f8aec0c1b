import type postgres from "postgres";
import { listTables } from "../../../engine/catalog/discover";
import { selectTables } from "../../../engine/catalog/select";
import { borrowPostgres } from "../../../engine/db/postgres-js";
import { copyChunk } from "../../../engine/copy/copy-chunk";
import { finishTable } from "../../../engine/copy/finish";
import { prepareTarget } from "../../../engine/ddl/prepare-target";
import { qualify, quoteLiteral } from "../../../engine/ddl/quote";
import { AppError } from "../../../engine/errors/app-error";
import { assertReplicaIdentity } from "../../../engine/cdc/replica-identity";
import { emptyStreamStats, runCdcStream, type CdcStreamStats } from "../../../engine/cdc/stream";
import { addForeignKeys, planForeignKeys } from "../../../engine/ddl/foreign-keys";
import type { CdcStreamJob, CopyChunkJob, FinishTableJob, ForeignKeysJob, Job, JobOutcome, PrepareJob } from "../../../engine/jobs/protocol";
import { forMode } from "../../../engine/plan/chunk";
import { planChunks, wholeKeyRange } from "../../../engine/plan/plan-chunks";
import { keyCollationHazards } from "../../../engine/plan/key-collation";
import { targetRefFor } from "../../../engine/plan/variables";
import type { RowFilter } from "../../../engine/task-config";
import { openSlot } from "./discover";
import type { Pools } from "./pools";

export interface Progress {
  rows: number;
  bytes: number;
  /** A change stream's figures, updated in place as it applies. */
  cdc?: CdcStreamStats;
  /** A copy job that finished its table too: how long the finish took, ms. */
  finishMs?: number;
}

/**
 * Runs one job with the engine. `progress` is updated in place while a chunk or the change stream runs;
 * `signal` ends a change stream (other jobs run to their end).
 */
export async function executeJob(job: Job, pools: Pools, progress: Progress, signal: AbortSignal): Promise<JobOutcome> {
  const source = pools.get(job.source);
  const target = pools.get(job.target);
  switch (job.type) {
    case "prepare":
      return prepare(job, source, target);
    case "copy_chunk":
      return copy(job, pools, progress);
    case "finish_table":
      return finish(job, source, target);
    case "cdc_stream":
      return cdcStream(job, progress, signal);
    case "foreign_keys":
      return foreignKeys(job, source, target);
  }
}

async function prepare(job: PrepareJob, source: postgres.Sql, target: postgres.Sql): Promise<JobOutcome> {
  // The source's catalog is read while the target's first pooled connection opens (prepare needs both).
  const [listed] = await Promise.all([listTables(borrowPostgres(source)), target.unsafe("SELECT 1")]);
  const selected = selectTables(listed, job.selection).map((t) => forMode(t, job.mode));
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
  // Before the publication exists: publishing a table without a replica identity would make the source
  // refuse the application's own UPDATEs and DELETEs on it.
  if (job.mode !== "full_load") assertReplicaIdentity(selected);
  // The slot comes first: its consistent point precedes every chunk's snapshot, so the changes replayed
  // after the load cover everything the chunks missed (replays of what they saw converge by key).
  const cdc = job.mode === "full_load" ? null : await openSlot(job.taskId, job.source.url, selected);
  const prepared = await prepareTarget(source, target, pairs, job.options.targetTableMode);
  // A new run starts from its new slot: a checkpoint left by an earlier run of the task must not hide
  // changes (it could be ahead if the connector now points at another server).
  if (cdc) {
    await target.unsafe(
      `DO $$ BEGIN IF to_regclass('_dtaas.checkpoints') IS NOT NULL THEN DELETE FROM _dtaas.checkpoints WHERE task_id = ${quoteLiteral(job.taskId)}; END IF; END $$`,
    );
  }
  const tables = [];
  const hazards = job.mode === "cdc" ? new Map<string, string>() : await keyCollationHazards(source, target, prepared);
  for (const p of prepared) {
    if (job.mode === "cdc") {
      // Nothing to load: keys and indexes go on now, since applying changes upserts by primary key.
      await finishTable({ source, target, table: p.table, targetRef: p.targetRef, created: p.created });
      tables.push({ table: p.table, targetTable: p.targetRef, created: p.created, chunks: [], oneChunk: null });
    } else {
      const oneChunk = hazards.get(qualify(p.table)) ?? null;
      const chunks = oneChunk ? wholeKeyRange() : await planChunks(source, p.table, { chunkRows: job.options.chunkRows });
      tables.push({ table: p.table, targetTable: p.targetRef, created: p.created, chunks, oneChunk });
    }
  }
  const keys = await planForeignKeys(source, prepared);
  return { type: "prepare", tables, cdc, foreignKeys: keys.steps.length + keys.skipped.length };
}

async function copy(job: CopyChunkJob, pools: Pools, progress: Progress): Promise<JobOutcome> {
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
    validate: job.validate,
    recordSnapshot: job.recordSnapshot,
    connections: pools.dedicated,
  });
  progress.rows = result.rows;
  progress.bytes = result.bytes;
  // The chunk is committed: a failure from here on fails the attempt, whose retry copies it again.
  const started = performance.now();
  const finished = job.finish
    ? await finishTable({
        source: pools.get(job.source),
        target: pools.get(job.target),
        table: job.table,
        targetRef: job.targetTable,
        created: job.finish.created,
        checksum: job.finish.checksum ? { chunks: [job.chunk], filter } : null,
      })
    : null;
  if (finished) progress.finishMs = Math.round(performance.now() - started);
  return { type: "copy_chunk", rows: result.rows, bytes: result.bytes, checksum: result.checksum, finish: finished, snapshot: result.snapshot };
}

async function finish(job: FinishTableJob, source: postgres.Sql, target: postgres.Sql): Promise<JobOutcome> {
  const checksum = job.checksum ? { chunks: job.checksum.chunks, filter: job.checksum.filters as RowFilter[] } : null;
  const { skipped, checksums } = await finishTable({ source, target, table: job.table, targetRef: job.targetTable, created: job.created, checksum });
  return { type: "finish_table", skipped, checksums };
}

async function foreignKeys(job: ForeignKeysJob, source: postgres.Sql, target: postgres.Sql): Promise<JobOutcome> {
  const tables = job.tables.map((t) => ({ table: t.table, targetRef: t.targetTable, created: t.created, partitioned: t.partitioned }));
  return { type: "foreign_keys", ...(await addForeignKeys(source, target, tables)) };
}

async function cdcStream(job: CdcStreamJob, progress: Progress, signal: AbortSignal): Promise<never> {
  progress.cdc = emptyStreamStats();
  await runCdcStream({
    source: job.source.url,
    target: job.target.url,
    slot: job.slot,
    publication: job.publication,
    taskId: job.taskId,
    mapping: job.tables.map((t) => ({ source: { schema: t.table.schema, name: t.table.name }, target: t.targetTable, copied: t.copied })),
    signal,
    stats: progress.cdc,
  });
  // Only the coordinator ends a stream (or a failure does): whatever asked for this, it is not an outcome.
  throw new AppError("CDC_STREAM_STOPPED", "The change stream was stopped.", { retryable: true });
}
