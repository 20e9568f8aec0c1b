import type { Connection, Job } from "../../engine/jobs/protocol";
import { resolveFilters } from "../../engine/plan/variables";
import { connectorUrl, getConnector } from "../../worker/src/connectors/store";
import { openDatabase } from "../../worker/src/db/client";
import type { JobRecord, RunRecord, RunStore } from "./run-store";

async function connection(env: Env, tenantId: string, id: string): Promise<Connection> {
  const row = await getConnector(openDatabase(env.DB), tenantId, id);
  return { kind: row.kind, url: await connectorUrl(env, row) };
}

/**
 * The runner's payloads for dispatched jobs of the run (one, or a batch's). Credentials are decrypted
 * here, once for all of them and only in memory: queue messages carry just attempt ids, and the consumer
 * asks for the payloads right before posting them.
 */
export async function buildJobs(env: Env, store: RunStore, run: RunRecord, jobs: JobRecord[]): Promise<Job[]> {
  const spec = run.spec;
  const [source, target] = await Promise.all([connection(env, spec.tenantId, spec.sourceId), connection(env, spec.tenantId, spec.targetId)]);
  return jobs.map((job) => buildJob(store, run, job, source, target));
}

function buildJob(store: RunStore, run: RunRecord, job: JobRecord, source: Connection, target: Connection): Job {
  const spec = run.spec;
  const base = {
    taskId: spec.taskId,
    runId: spec.runId,
    attemptId: job.attemptId!,
    callbackUrl: new URL("/internal/runner/events", spec.callbackBase).toString(),
    source,
    target,
  };
  if (job.kind === "prepare") {
    return { ...base, type: "prepare", mode: spec.mode, selection: spec.selection, options: spec.options, variables: spec.variables };
  }
  if (job.kind === "cdc") {
    if (!run.cdc) throw new Error("a change capture job without a slot");
    // A keyless table's only copy recorded what it saw: the stream must not apply that again.
    const tables = store.tables().map((t) => ({
      table: t.prepared.table,
      targetTable: t.prepared.targetTable,
      copied: t.prepared.table.primaryKey.length === 0 ? (store.copiesOf(t.key)[0]?.snapshot ?? null) : null,
    }));
    return { ...base, type: "cdc_stream", slot: run.cdc.slot, publication: run.cdc.publication, tables };
  }
  if (job.kind === "foreign_keys") {
    const tables = store.tables().map(({ prepared: p }) => ({
      table: { schema: p.table.schema, name: p.table.name },
      targetTable: p.targetTable,
      created: p.created,
      partitioned: p.table.partitioning !== undefined,
    }));
    return { ...base, type: "foreign_keys", tables };
  }
  const table = store.table(job.tableKey!);
  if (!table) throw new Error(`job ${job.key} names an unknown table`);
  const { table: info, targetTable } = table.prepared;
  const filters = spec.selection.filters[`${info.schema}.${info.name}`] ?? [];
  if (job.kind === "finish") {
    // The target side of validation: every chunk's checksum, compared with those the copies read.
    const checksum = table.validation === "pending" ? { chunks: table.prepared.chunks, filters: resolveFilters(filters, spec.variables) } : null;
    return { ...base, type: "finish_table", table: info, targetTable, created: table.prepared.created, checksum };
  }
  return {
    ...base,
    type: "copy_chunk",
    table: info,
    targetTable,
    chunk: store.chunkOf(job.key) as Extract<Job, { type: "copy_chunk" }>["chunk"],
    filters: resolveFilters(filters, spec.variables),
    // The checksums read the COPY's own snapshot and the chunk's own transaction on the target, so a
    // source written during the load (full_load_and_cdc) validates too. A `cdc` run copies nothing.
    validate: spec.options.validate,
    cleanRange: job.cleanRange,
    finish: table.prepared.chunks.length === 1 ? { created: table.prepared.created, checksum: table.validation === "pending" } : null,
    // Changes replayed after the load converge by primary key; without one the replay skips what the
    // copy saw (engine/cdc/copy-snapshot.ts).
    recordSnapshot: spec.mode === "full_load_and_cdc" && info.primaryKey.length === 0,
  };
}
