import { loadavg } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import type postgres from "postgres";
import type { StackClient } from "../../test/support/api-client";
import { cpuBetween, readCpu, serverPids } from "./cpu";
import { cdcSample, processMemory, runnerPid, startMemorySampler, startSampler, type CdcSample } from "./dtaas";
import { startActivityProfiler } from "./profile";
import { insertMarker, startMarkers, waitForMarker } from "./marks";
import { currentLsn, walBytesBetween } from "./verify";
import { startWorkload, type WorkloadStats } from "./workload";

/**
 * The DTaaS scenarios, run one after another against one streaming task. Each scenario ends with an
 * end marker visible on the target, so the next one starts from an idle, converged stream.
 */

export interface BenchContext {
  api: StackClient;
  runId: string;
  runnerUrl: string;
  sourceUrl: string;
  /** A source connection with synchronous_commit = on (markers, the wide update, the big insert). */
  marks: postgres.Sql;
  target: postgres.Sql;
  /** Superuser connection to the server (pg_stat_activity) and the two databases' names. */
  admin: postgres.Sql;
  databases: { source: string; target: string };
  scale: number;
  clients: number;
}

const WAIT_MS = 900_000;

export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const dist = (values: readonly number[]) => ({
  p50: percentile(values, 50),
  p95: percentile(values, 95),
  max: values.length ? Math.max(...values) : null,
  n: values.length,
});

/** Writes at full speed for `seconds` while sampling the API and the end-to-end marker lag. */
export async function sustained(ctx: BenchContext, seconds: number) {
  const load = [loadavg()[0]!];
  const sampler = startSampler(ctx.api, ctx.runId, 100);
  const markers = startMarkers(ctx.marks, ctx.target, 100);
  const profiler = startActivityProfiler(ctx.admin, ctx.databases);
  const startedAt = performance.now();
  const workload = startWorkload(ctx.sourceUrl, { clients: ctx.clients, scale: ctx.scale, run: 1 });
  await sleep(seconds * 1000);
  const source: WorkloadStats = await workload.stop();
  const stoppedAt = performance.now();
  const activity = await profiler.stop();
  load.push(loadavg()[0]!);
  const marks = await markers.stop(WAIT_MS);
  const end = await insertMarker(ctx.marks);
  const drainedAt = await waitForMarker(ctx.target, end, WAIT_MS);
  const samples = await sampler.stop();
  const inWindow = samples.filter((s) => s.t >= startedAt && s.t <= stoppedAt);
  return {
    seconds,
    source,
    applied: appliedRate(inWindow),
    drainSeconds: (drainedAt - stoppedAt) / 1000,
    apiLagSeconds: dist(inWindow.flatMap((s) => (s.lagSeconds === null ? [] : [s.lagSeconds]))),
    apiLagBytes: dist(inWindow.flatMap((s) => (s.lagBytes === null ? [] : [s.lagBytes]))),
    endToEndLagMs: { ...dist(marks.lagsMs), sent: marks.sent, missing: marks.missing },
    activity,
    apiSamples: inWindow.length,
    apiDistinctValues: new Set(inWindow.map((s) => s.changesApplied)).size,
    loadAvg1m: load,
  };
}

/** Changes/s between the first and the last sample of a window (the API's values move once a second). */
function appliedRate(samples: CdcSample[]) {
  if (samples.length < 2) return { changes: 0, perSecond: null };
  const [first, last] = [samples[0]!, samples.at(-1)!];
  const changes = last.changesApplied - first.changesApplied;
  return { changes, perSecond: changes / ((last.t - first.t) / 1000) };
}

/**
 * A fixed backlog while the copy runner is frozen (SIGSTOP), then the time from SIGCONT until the end
 * marker is on the target. Hazard: the lease must outlast the backlog (the stack runs with a long lease).
 */
export async function catchUp(ctx: BenchContext, transactions: number, run: number) {
  const pid = await runnerPid(ctx.runnerUrl);
  const before = await cdcSample(ctx.api, ctx.runId);
  const startLsn = await currentLsn(ctx.marks);
  let backlog: WorkloadStats;
  let end: number;
  let endLsn: string;
  let resumedAt: number;
  let pids: Parameters<typeof readCpu>[0] = { walsender: null, apply: [], runner: pid };
  let cpuBefore: ReturnType<typeof readCpu>;
  process.kill(pid, "SIGSTOP");
  try {
    backlog = await startWorkload(ctx.sourceUrl, { clients: ctx.clients, scale: ctx.scale, transactions, run }).done;
    end = await insertMarker(ctx.marks);
    endLsn = await currentLsn(ctx.marks);
    pids = { ...(await serverPids(ctx.admin, ctx.databases.source, { database: ctx.databases.target, application: "dtaas-cdc-apply" })), runner: pid };
  } finally {
    resumedAt = performance.now();
    cpuBefore = readCpu(pids, 0);
    process.kill(pid, "SIGCONT");
  }
  const profiler = startActivityProfiler(ctx.admin, ctx.databases);
  const load = loadavg()[0]!;
  const doneAt = await waitForMarker(ctx.target, end, WAIT_MS);
  const seconds = (doneAt - resumedAt) / 1000;
  const cpu = cpuBetween(cpuBefore, readCpu(pids, seconds));
  const activity = await profiler.stop();
  await sleep(1_500); // the API's counters are written to D1 at most once a second
  const after = await cdcSample(ctx.api, ctx.runId);
  const changes = backlog.changes + 1;
  return {
    backlog,
    changes,
    walBytes: await walBytesBetween(ctx.marks, startLsn, endLsn),
    seconds,
    changesPerSecond: changes / seconds,
    apiChangesApplied: after.changesApplied - before.changesApplied,
    cpu,
    activity,
    loadAvg1m: load,
  };
}

/** One statement, one transaction, `rows` changes: time from its commit to its arrival, runner memory. */
async function oneTransaction(ctx: BenchContext, statement: string, rows: number) {
  const pid = await runnerPid(ctx.runnerUrl);
  const hwmBefore = processMemory(pid).hwmMiB;
  const memory = startMemorySampler(pid);
  const statementStarted = performance.now();
  await ctx.marks.unsafe(statement);
  const committedAt = performance.now();
  const profiler = startActivityProfiler(ctx.admin, ctx.databases);
  const end = await insertMarker(ctx.marks);
  const doneAt = await waitForMarker(ctx.target, end, WAIT_MS);
  const activity = await profiler.stop();
  const seconds = (doneAt - committedAt) / 1000;
  return {
    rows,
    statementSeconds: (committedAt - statementStarted) / 1000,
    seconds,
    changesPerSecond: rows / seconds,
    runnerPeakRssMiB: memory.stop(),
    runnerHwmMiB: { before: hwmBefore, after: processMemory(pid).hwmMiB },
    activity,
    loadAvg1m: loadavg()[0]!,
  };
}

export const WIDE_ROWS = 250_000;
export const BIG_ROWS = 1_000_000;

/** Source tables of the last two scenarios, created with the pgbench schema (so the task copies them). */
export function extraSchema(): string {
  // ~370-byte rows (pg_column_size of the row ≈ 370): two 171-char texts, not TOASTed (< 2 kB).
  return `
    CREATE TABLE wide_rows (id int PRIMARY KEY, n int NOT NULL, a text NOT NULL, b text NOT NULL);
    INSERT INTO wide_rows SELECT g, 0, repeat(md5(g::text), 5) || 'abcdefghijk', repeat(md5((-g)::text), 5) || 'abcdefghijk'
      FROM generate_series(1, ${WIDE_ROWS}) g;
    CREATE TABLE big_rows (id bigint PRIMARY KEY, n int NOT NULL, s text NOT NULL);
    ANALYZE;`;
}

export const wideUpdate = (ctx: BenchContext) => oneTransaction(ctx, "UPDATE wide_rows SET n = n + 1", WIDE_ROWS);

export const bigTransaction = (ctx: BenchContext) =>
  oneTransaction(ctx, `INSERT INTO big_rows SELECT g, g % 1000, md5(g::text) FROM generate_series(1, ${BIG_ROWS}) g`, BIG_ROWS);
