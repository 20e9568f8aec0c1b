import type { CpuSplit } from "../cpu";
import type { Breakdown } from "./breakdown";
import type { SourceStats } from "./datasets";
import type { DtaasOptions, DtaasRun } from "./dtaas";
import type { TargetCheck } from "./verify";

/** The full-load benchmark's results: aligned text tables (targets reported, never asserted) and a JSON file. */

export type Tool = "pipe" | "pg_dump" | "pgcopydb" | "floor" | "dtaas";

export interface ToolRun {
  seconds: number;
  /** Machine CPU during the copy: average busy cores (other users included) and seconds per party. */
  cpu: CpuSplit;
  check: TargetCheck;
  dtaas?: Omit<DtaasRun, "logs"> & { breakdown: Breakdown; logs: DtaasRun["logs"] };
}

export interface ToolResult {
  tool: Tool;
  /** Why the tool did not run (unavailable), or null. */
  skipped: string | null;
  errors: string[];
  runs: ToolRun[];
  medianSeconds: number | null;
  rowsPerSecond: number | null;
  /** Source pg_total_relation_size / median seconds, MB = 10^6 bytes. */
  mbPerSecond: number | null;
  /** Pipe median seconds / this tool's median seconds: > 1 means faster than the pipe. */
  ratioVsPipe: number | null;
}

export interface DatasetResult {
  key: string;
  table: string;
  source: SourceStats;
  tools: ToolResult[];
}

export interface FullBenchReport {
  startedAt: string;
  machine: { cores: number; uptimeBefore: string; uptimeAfter: string };
  server: { origin: "stack" | "--pg"; version: string };
  options: { pollMs: number; scale: number; runs: number; only: string | null; dtaas: DtaasOptions };
  warmupSeconds: number | null;
  datasets: DatasetResult[];
  errors: string[];
}

const TARGETS = { ratio: 1.0, rssMiB: 256 };

export const median = (xs: number[]): number | null => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const n = (v: number | null | undefined, digits = 0) =>
  v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Fills the derived figures of a tool's result from its runs. */
export function summarize(t: ToolResult, source: SourceStats, pipeSeconds: number | null): void {
  t.medianSeconds = median(t.runs.map((r) => r.seconds));
  if (t.medianSeconds === null) return;
  t.rowsPerSecond = source.rows / t.medianSeconds;
  t.mbPerSecond = source.totalBytes / 1e6 / t.medianSeconds;
  t.ratioVsPipe = pipeSeconds === null ? null : pipeSeconds / t.medianSeconds;
}

function memoryCell(r: ToolRun): string {
  const m = r.dtaas?.memory;
  if (!m) return "";
  const pid = m.pidAfter === m.pidBefore ? `pid ${m.pidAfter}` : `RESTARTED pid ${m.pidBefore}→${m.pidAfter}`;
  return `${n(m.rssBeforeMiB)} → ${n(m.peakMiB)} MiB${m.hwmReset ? "" : " (lifetime HWM)"} (${pid})`;
}

function checkCell(r: ToolRun): string {
  const c = r.check;
  if (c.equal && c.hasPrimaryKey) return "equal, pk";
  return `${c.equal ? "equal" : `DIFFERENT (${n(c.target.count)} rows)`}${c.hasPrimaryKey ? ", pk" : ", NO PRIMARY KEY"}`;
}

function printTable(rows: string[][]): void {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const right = new Set([1, 2, 3, 4]);
  for (const r of rows) console.log(r.map((v, i) => (right.has(i) ? v.padStart(w[i]!) : v.padEnd(w[i]!))).join("  ").trimEnd());
}

function printBreakdown(b: Breakdown): void {
  const s = (ms: number | null) => (ms === null ? "–" : `${n(ms / 1000, 2)} s`);
  console.log(`    start request → first runner job ${s(b.toFirstJobMs)}; prepare ${s(b.prepareMs)}`);
  for (const c of b.chunks) {
    console.log(`    ${c.attempt}: wait ${s(c.waitMs)}, copy ${s(c.ms)} (${n(c.rows)} rows, ${n(c.rows / (c.ms / 1000))} rows/s), at ${s(c.startMs)} → ${s(c.endMs)}`);
  }
  const rows = b.chunks.reduce((a, c) => a + c.rows, 0);
  console.log(`    copy phase (first chunk start → last chunk end) ${s(b.copyPhaseMs)} = ${n(b.copyPhaseMs ? rows / (b.copyPhaseMs / 1000) : null)} rows/s`);
  const where = b.finishInCopyJob ? " in the chunk's own job" : `: wait ${s(b.finishWaitMs)},`;
  console.log(`    finish (checksum, primary key, ANALYZE)${where} ${s(b.finishMs)}; last job end → succeeded seen ${s(b.tailMs)}`);
  console.log(`    runner idle ${s(b.idleMs)} of ${s(b.totalMs)}; run log: ${b.events.map((e) => `${e.message} ${s(e.atMs)}`).join(", ")}`);
}

export function printReport(r: FullBenchReport): void {
  const o = r.options.dtaas;
  console.log(`\nFull-load benchmark — ${r.machine.cores} cores, PostgreSQL ${r.server.version} (${r.server.origin}), scale ${r.options.scale}, median of ${r.options.runs} run(s)`);
  console.log(`load before: ${r.machine.uptimeBefore.trim()}\nload after:  ${r.machine.uptimeAfter.trim()}`);
  console.log(`DTaaS task options: chunkRows ${n(o.chunkRows)}, parallelTables ${o.parallelTables}, validate ${o.validate}, targetTableMode drop_and_create; run end seen over the task's WebSocket (GET /runs/:id every ${r.options.pollMs} ms as a fallback); warm-up run ${n(r.warmupSeconds, 2)} s`);
  for (const d of r.datasets) {
    const mb = d.source.totalBytes / 1e6;
    console.log(`\n${d.table}: ${n(d.source.rows)} rows, ${n(mb, 1)} MB (pg_total_relation_size of the source: heap ${n(d.source.heapBytes / 1e6, 1)} MB + primary key; the MB/s basis)`);
    const rows = [["tool", "seconds", "rows/s", "MB/s", "pipe s / tool s", "runs (s)", "busy cores", "CPU s: postgres/runner/wrangler+workerd/clients", "runner RSS before → peak", "target check"]];
    for (const t of d.tools) {
      if (t.skipped) {
        rows.push([t.tool, "–", "–", "–", "–", "skipped (below)", "", "", "", ""]);
        continue;
      }
      const last = t.runs[t.runs.length - 1];
      rows.push([
        t.tool,
        n(t.medianSeconds, 2),
        n(t.rowsPerSecond),
        n(t.mbPerSecond, 1),
        n(t.ratioVsPipe, 2),
        t.runs.map((x) => n(x.seconds, 2)).join(", ") + (t.errors.length ? ` (${t.errors.length} FAILED)` : ""),
        t.runs.map((x) => n(x.cpu.busyCores, 2)).join(", "),
        t.runs.map((x) => [x.cpu.postgres, x.cpu.runner, x.cpu.workers, x.cpu.tools].map((v) => n(v, 1)).join("/")).join(", "),
        t.runs.map(memoryCell).filter(Boolean).join("; "),
        t.runs.map(checkCell).join("; ") || (last ? "" : "no run"),
      ]);
    }
    printTable(rows);
    for (const t of d.tools) if (t.skipped) console.log(`  ${t.tool} skipped: ${t.skipped}`);
    const dtaas = d.tools.find((t) => t.tool === "dtaas");
    const floor = d.tools.find((t) => t.tool === "floor");
    if (floor?.medianSeconds != null) {
      const share = dtaas?.medianSeconds != null ? `; DTaaS s / floor s = ${n(dtaas.medianSeconds / floor.medianSeconds, 2)} (what the orchestration adds)` : "";
      console.log(`  floor: DTaaS's own steps run by psql without orchestration (bench/full/floor.ts), a reference, not a user's tool${share}`);
    }
    if (dtaas?.ratioVsPipe != null) console.log(`  target pipe s / DTaaS s ≥ ${TARGETS.ratio}: ${dtaas.ratioVsPipe >= TARGETS.ratio ? "met" : "MISSED"}`);
    const peaks = dtaas?.runs.map((x) => x.dtaas?.memory.peakMiB ?? NaN) ?? [];
    if (peaks.length) console.log(`  target runner peak RSS < ${TARGETS.rssMiB} MiB: ${peaks.every((p) => p < TARGETS.rssMiB) ? "met" : "MISSED"} (max ${n(Math.max(...peaks))} MiB)`);
    for (const [i, x] of (dtaas?.runs ?? []).entries()) {
      if (!x.dtaas) continue;
      const own = x.dtaas.durationMs === null ? "–" : n(x.dtaas.durationMs / 1000, 2);
      console.log(`  DTaaS run ${i + 1} (${x.dtaas.runId}, ${x.dtaas.chunks} chunk(s), ${n(x.dtaas.bytesCopied / 1e6, 1)} MB COPY bytes reported; the run's own startedAt → finishedAt ${own} s):`);
      printBreakdown(x.dtaas.breakdown);
    }
    for (const t of d.tools) for (const e of t.errors) console.log(`  ERROR ${t.tool}: ${e}`);
    const wrong = d.tools.flatMap((t) => t.runs.filter((x) => !x.check.equal || !x.check.hasPrimaryKey).map(() => t.tool));
    if (wrong.length) console.log(`  !!! WRONG DATA OR MISSING KEY in the target of: ${wrong.join(", ")} — these timings do not count !!!`);
  }
  for (const e of r.errors) console.log(`ERROR: ${e}`);
}
