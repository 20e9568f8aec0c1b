/**
 * `npm run bench -- cdc [--seconds 30] [--clients 8] [--scale 10] [--backlog 40000] [--skip-native]
 *   [--only sustained,catch-up,wide,big] [--runs 1]`
 *
 * The CDC benchmark over the whole local stack (wrangler dev + copy runner + embedded PostgreSQL 17):
 *   1. one full_load_and_cdc task over pgbench tables (+ wide_rows, big_rows), timed to `streaming`;
 *   2. sustained: the workload at full speed for --seconds; applied changes/s, lag (API and markers);
 *   3. catch-up, --runs times: the native baseline (CREATE SUBSCRIPTION catching up on a fixed pgbench
 *      backlog, own databases), then DTaaS on the same backlog size while the runner is frozen (SIGSTOP),
 *      then SIGCONT → caught up; CPU seconds of each process of both pipelines;
 *   4. wide update: one UPDATE of 250k ~370-byte rows; 5. big transaction: one 1M-row INSERT (runner RSS);
 *   then every table is compared (count + md5), the task stopped (slot dropped), databases dropped.
 * --only picks scenarios (wide_rows and big_rows are created only for theirs). Targets are reported,
 * never asserted. JSON goes to test-output/bench/cdc-<timestamp>.json.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { createTestDatabases } from "../../engine/test-support/test-databases";
import { StackClient } from "../../test/support/api-client";
import { startLocalStack, type LocalStack } from "../../test/support/local-stack";
import { startStreamingTask, stopTask } from "./dtaas";
import { markerConnection } from "./marks";
import { nativeCatchUp } from "./native";
import { printReport, writeReport, type CdcBenchReport } from "./report";
import { bigTransaction, catchUp, extraSchema, sustained, wideUpdate, type BenchContext } from "./scenarios";
import { waitEqual } from "./verify";
import { PGBENCH_TABLES, pgbenchSchema } from "./workload";

const SCENARIOS = ["sustained", "catch-up", "wide", "big"] as const;
type Scenario = (typeof SCENARIOS)[number];

const ROOT = resolve(import.meta.dirname, "../..");
const uptime = () => execFileSync("uptime", { encoding: "utf8" });

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: "string", default: "30" },
      clients: { type: "string", default: "8" },
      scale: { type: "string", default: "10" },
      backlog: { type: "string", default: "40000" },
      "skip-native": { type: "boolean", default: false },
      only: { type: "string", default: SCENARIOS.join(",") },
      runs: { type: "string", default: "1" },
    },
  });
  const only = values.only.split(",").map((s) => s.trim());
  const unknown = only.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(", ")}: choose from ${SCENARIOS.join(", ")}`);
  const options = {
    seconds: Number(values.seconds),
    clients: Number(values.clients),
    scale: Number(values.scale),
    backlogTransactions: Number(values.backlog),
    scenarios: only as Scenario[],
    catchUpRuns: Number(values.runs),
    native: !values["skip-native"],
  };
  const report: CdcBenchReport = {
    startedAt: new Date().toISOString(),
    machine: { cores: cpus().length, uptimeBefore: uptime(), uptimeAfter: "" },
    options,
    fullLoadSeconds: 0,
    sustained: null,
    catchUps: [],
    wide: null,
    big: null,
    tables: [],
    errors: [],
  };
  const step = (what: string) => console.log(`[bench cdc] ${new Date().toISOString().slice(11, 19)} ${what}`);

  step("starting the local stack");
  // A long lease: the catch-up scenario freezes the runner for as long as the backlog takes to write.
  const stack: LocalStack = await startLocalStack({ demoOrders: 100, leaseSeconds: 300 });
  try {
    await dtaasScenarios(stack, options, report, step);
  } catch (error) {
    report.errors.push((error as Error).stack ?? String(error));
  } finally {
    step("stopping the local stack");
    await stack.stop();
  }
  report.machine.uptimeAfter = uptime();
  printReport(report);
  const file = writeReport(report, ROOT);
  writeFileSync(file.replace(/\.json$/, ".log"), stack.output.join("\n") + "\n");
  console.log(`\nJSON: ${file} (stack output: .log beside it)`);
  return report.errors.length === 0 ? 0 : 1;
}

async function dtaasScenarios(
  stack: LocalStack,
  options: CdcBenchReport["options"],
  report: CdcBenchReport,
  step: (what: string) => void,
) {
  const dbs = await createTestDatabases(stack.pgUrl, "bench_cdc");
  const marks = markerConnection(dbs.sourceUrl);
  const admin = postgres(stack.pgUrl, { max: 1, onnotice: () => {} });
  const dbName = (url: string) => new URL(url).pathname.slice(1);
  const api = new StackClient(stack.origin);
  let taskId: string | null = null;
  try {
    const has = (s: Scenario) => options.scenarios.includes(s);
    const extra = has("wide") || has("big");
    step(`source: pgbench scale ${options.scale}${extra ? " + wide_rows + big_rows" : ""}`);
    await dbs.source.unsafe(pgbenchSchema(options.scale) + (extra ? extraSchema() : ""));
    await api.signUp("CDC bench");
    step("full_load_and_cdc task: waiting for streaming");
    const task = await startStreamingTask(api, { source: dbs.sourceUrl, target: dbs.targetUrl }, "full_load_and_cdc");
    taskId = task.taskId;
    report.fullLoadSeconds = task.streamingAfterMs / 1000;
    const ctx: BenchContext = {
      api,
      runId: task.runId,
      runnerUrl: stack.runnerUrl,
      sourceUrl: dbs.sourceUrl,
      marks,
      target: dbs.target,
      admin,
      databases: { source: dbName(dbs.sourceUrl), target: dbName(dbs.targetUrl) },
      scale: options.scale,
      clients: options.clients,
    };
    if (has("sustained")) {
      step(`sustained: ${options.clients} clients for ${options.seconds} s`);
      report.sustained = await sustained(ctx, options.seconds);
    }
    for (let i = 0; has("catch-up") && i < options.catchUpRuns; i++) {
      const backlog = { scale: options.scale, clients: options.clients, transactions: options.backlogTransactions };
      step(`catch-up ${i + 1}/${options.catchUpRuns}: backlog of ${backlog.transactions} transactions`);
      const native = options.native ? await nativeCatchUp(stack.pgUrl, backlog) : null;
      // Workload run 1 was the sustained scenario's: each catch-up writes history keys of its own.
      const dtaas = await catchUp(ctx, backlog.transactions, 2 + i);
      report.catchUps.push({ native, dtaas });
      step(`catch-up ${i + 1}: native ${native ? native.seconds.toFixed(2) : "–"} s, DTaaS ${dtaas.seconds.toFixed(2)} s`);
    }
    if (has("wide")) {
      step("wide update: 250k rows");
      report.wide = await wideUpdate(ctx);
    }
    if (has("big")) {
      step("big transaction: 1M-row INSERT");
      report.big = await bigTransaction(ctx);
    }
    step("comparing every table");
    report.tables = await waitEqual(dbs.source, dbs.target, [...PGBENCH_TABLES, ...(extra ? ["wide_rows", "big_rows"] : [])], 60_000);
  } finally {
    await Promise.all([marks.end({ timeout: 5 }), admin.end({ timeout: 5 })]);
    if (taskId) await stopTask(api, taskId).catch((e: Error) => report.errors.push(`stopping the task: ${e.message}`));
    await dbs.drop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main(process.argv.slice(2));
