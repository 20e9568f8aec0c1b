import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { NativeResult } from "./native";
import type { ActivityShares } from "./profile";
import { percentile, type bigTransaction, type catchUp, type sustained } from "./scenarios";
import type { TableCheck } from "./verify";

/** The benchmark's results: one printed table (targets reported, never asserted) and a JSON file. */

export interface CdcBenchReport {
  startedAt: string;
  machine: { cores: number; uptimeBefore: string; uptimeAfter: string };
  options: { seconds: number; clients: number; scale: number; backlogTransactions: number; scenarios: string[]; catchUpRuns: number; native: boolean };
  fullLoadSeconds: number;
  sustained: Awaited<ReturnType<typeof sustained>> | null;
  /** One per catch-up run: the native baseline (unless skipped), then DTaaS on the same backlog size. */
  catchUps: { native: NativeResult | null; dtaas: Awaited<ReturnType<typeof catchUp>> }[];
  wide: Awaited<ReturnType<typeof bigTransaction>> | null;
  big: Awaited<ReturnType<typeof bigTransaction>> | null;
  tables: TableCheck[];
  errors: string[];
}

const n = (v: number | null | undefined, digits = 0) =>
  v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const activity = (a: { states: ActivityShares }) =>
  Object.entries(a.states)
    .filter(([k]) => k !== "samples")
    .sort((x, y) => y[1] - x[1])
    .map(([k, v]) => `${k} ${Math.round(v * 100)}%`)
    .join(", ");
const verdict = (ok: boolean | null) => (ok === null ? "" : ok ? "met" : "MISSED");

export function printReport(r: CdcBenchReport): void {
  const rows: [string, string, string][] = [];
  const row = (what: string, value: string, target = "") => rows.push([what, value, target]);
  const s = r.sustained;
  if (s) {
    row(`sustained (${s.seconds} s, ${r.options.clients} clients)`, "", "");
    row("  source TPS / changes/s", `${n(s.source.tps)} / ${n(s.source.changes / (s.source.elapsedMs / 1000))}`);
    row("  applied changes/s (API counter)", n(s.applied.perSecond));
    const e2e = s.endToEndLagMs;
    row("  end-to-end lag p50 / p95 / max ms", `${n(e2e.p50)} / ${n(e2e.p95)} / ${n(e2e.max)} (${e2e.sent} marks)`, `p95 < 250: ${verdict(e2e.p95 === null ? null : e2e.p95 < 250)}`);
    row("  API lagSeconds p50 / p95 / max", `${n(s.apiLagSeconds.p50, 2)} / ${n(s.apiLagSeconds.p95, 2)} / ${n(s.apiLagSeconds.max, 2)}`);
    row("  API lagBytes p50 / p95 / max", `${n(s.apiLagBytes.p50)} / ${n(s.apiLagBytes.p95)} / ${n(s.apiLagBytes.max)}`);
    row("  drain after the load stopped", `${n(s.drainSeconds, 2)} s`);
    row("  server activity (sampled)", activity(s.activity));
  }
  const ratios: number[] = [];
  r.catchUps.forEach(({ native: nat, dtaas: c }, i) => {
    row(`catch-up ${i + 1} (${n(r.options.backlogTransactions)} transactions)`, "", "");
    if (nat) row("  native subscription", `${n(nat.changes)} changes in ${n(nat.seconds, 2)} s = ${n(nat.changesPerSecond)}/s (LSN at ${n(nat.lsnSeconds, 2)} s)`);
    if (nat) row("  native CPU s: walsender / apply", `${n(nat.cpu.walsender, 2)} / ${n(nat.cpu.apply, 2)}`);
    row("  DTaaS", `${n(c.changes)} changes in ${n(c.seconds, 2)} s = ${n(c.changesPerSecond)}/s`);
    row("  DTaaS CPU s: walsender / apply / runner", `${n(c.cpu.walsender, 2)} / ${n(c.cpu.apply, 2)} / ${n(c.cpu.runner, 2)}`);
    if (nat) {
      ratios.push(nat.seconds / c.seconds);
      row("  native s / DTaaS s", n(ratios.at(-1), 2), `≥ 1: ${verdict(ratios.at(-1)! >= 1)}`);
    }
    row("  DTaaS server activity (sampled)", activity(c.activity));
  });
  if (ratios.length > 1) row("catch-up native s / DTaaS s, median", `${n(percentile(ratios, 50), 2)} (${ratios.map((x) => n(x, 2)).join(", ")})`, `≥ 1: ${verdict(percentile(ratios, 50)! >= 1)}`);
  for (const [label, t, target] of [
    ["wide update (250k × ~370 B)", r.wide, 50_000],
    ["big transaction (1M-row INSERT)", r.big, null],
  ] as const) {
    if (!t) continue;
    row(label, "", "");
    row("  commit → applied", `${n(t.seconds, 2)} s = ${n(t.changesPerSecond)}/s (statement ${n(t.statementSeconds, 2)} s)`, target ? `≥ ${n(target)}/s: ${verdict(t.changesPerSecond >= target)}` : "");
    row("  runner RSS peak (sampled) / VmHWM", `${n(t.runnerPeakRssMiB)} MiB / ${n(t.runnerHwmMiB.before)} → ${n(t.runnerHwmMiB.after)} MiB`);
    row("  server activity (sampled)", activity(t.activity));
  }
  if (r.tables.length) row("target equals source", r.tables.map((t) => `${t.table}${t.equal ? "" : " DIFFERENT"}`).join(", "), verdict(r.tables.every((t) => t.equal)));
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((x) => x[i]!.length)));
  console.log(`\nCDC benchmark — ${r.machine.cores} cores; load: ${r.machine.uptimeBefore.trim()} → ${r.machine.uptimeAfter.trim()}`);
  for (const x of rows) console.log(x.map((v, i) => v.padEnd(w[i]!)).join("  ").trimEnd());
  for (const e of r.errors) console.log(`ERROR: ${e}`);
}

export function writeReport(r: CdcBenchReport, root: string): string {
  const dir = join(root, "test-output", "bench");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `cdc-${r.startedAt.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify(r, null, 2));
  return file;
}
