/**
 * `npm run bench -- [full] [--pg <superuser URL>] [--scale 20] [--only pgbench|wide] [--runs 1]
 *                   [--chunk-rows N] [--parallel-tables N] [--no-validate] [--poll-ms 2000]
 *                   [--tools pipe,pg_dump,pgcopydb,floor,dtaas]`
 *
 * The full-load benchmark: pgbench_accounts (100,000 rows per scale unit) and a 12-column mixed-type table
 * (50,000 rows per scale unit), each copied by `psql COPY binary | psql COPY binary` (the reference),
 * `pg_dump | psql`, `pgcopydb clone`, the `floor` (DTaaS's own steps run by psql, floor.ts) and DTaaS
 * through the whole local stack (wrangler dev + copy runner), on the stack's embedded PostgreSQL or the
 * `--pg` server. Every copy is checked (count + md5 + primary key). Reports the median seconds, rows/s,
 * MB/s, pipe s / tool s and the runner's RSS; targets are reported, never asserted. JSON goes to
 * test-output/bench/full-<timestamp>.json.
 */
import { cpus } from "node:os";
import { TaskOptions } from "../../engine/task-config";
import { parseArgs } from "node:util";
import { StackClient } from "../../test/support/api-client";
import { startLocalStack, type LocalStack } from "../../test/support/local-stack";
import { benchDataset, TOOLS, type BenchContext } from "./dataset-run";
import { datasets, type DatasetKey } from "./datasets";
import { createFullLoadTask, runTask } from "./dtaas";
import { machineLoad, writeBenchJson } from "../output";
import { printReport, type FullBenchReport, type Tool } from "./report";
import { connect, openServer, type Server } from "./servers";

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      pg: { type: "string" },
      scale: { type: "string", default: "20" },
      only: { type: "string" },
      runs: { type: "string", default: "1" },
      // The task defaults (engine/task-config.ts), so the figures are what a user gets.
      "chunk-rows": { type: "string", default: String(TaskOptions.parse({}).chunkRows) },
      "parallel-tables": { type: "string", default: "2" },
      "no-validate": { type: "boolean", default: false },
      "poll-ms": { type: "string", default: "2000" },
      tools: { type: "string", default: TOOLS.join(",") },
    },
  });
  if (values.only && values.only !== "pgbench" && values.only !== "wide") throw new Error("--only takes pgbench or wide");
  const tools = values.tools.split(",") as Tool[];
  if (!tools.every((t) => TOOLS.includes(t))) throw new Error(`--tools takes a list of ${TOOLS.join(", ")}`);
  const report: FullBenchReport = {
    startedAt: new Date().toISOString(),
    machine: { cores: cpus().length, uptimeBefore: machineLoad(), uptimeAfter: "" },
    server: { origin: values.pg ? "--pg" : "stack", version: "" },
    options: {
      pollMs: Number(values["poll-ms"]),
      scale: Number(values.scale),
      runs: Math.max(1, Number(values.runs)),
      only: values.only ?? null,
      dtaas: { chunkRows: Number(values["chunk-rows"]), parallelTables: Number(values["parallel-tables"]), validate: !values["no-validate"] },
    },
    warmupSeconds: null,
    datasets: [],
    errors: [],
  };
  const step = (what: string) => console.log(`[bench full] ${new Date().toISOString().slice(11, 19)} ${what}`);

  step("starting the local stack");
  const stack: LocalStack = await startLocalStack({ demoOrders: 100 });
  let server: Server | null = null;
  try {
    server = await openServer(values.pg ?? stack.pgUrl);
    report.server.version = server.version;
    const api = new StackClient(stack.origin);
    await api.signUp("Full-load bench");
    const ctx: BenchContext = { server, api, runnerUrl: stack.runnerUrl, stackOutput: stack.output, dtaas: report.options.dtaas, pollMs: report.options.pollMs, tools, runs: report.options.runs, step };
    step("warm-up: a 10,000-row DTaaS transfer (wrangler, esbuild, first connections)");
    report.warmupSeconds = await warmUp(ctx);
    for (const d of datasets(report.options.scale, values.only as DatasetKey | undefined)) {
      // One dataset's failure is reported; the next dataset still runs.
      await benchDataset(ctx, d).then(
        (r) => report.datasets.push(r),
        (e: Error) => report.errors.push(`${d.table}: ${e.stack ?? e.message}`),
      );
    }
  } catch (error) {
    report.errors.push((error as Error).stack ?? String(error));
  } finally {
    step("dropping the benchmark's databases and stopping the local stack");
    await server?.dropAll().catch((e: Error) => report.errors.push(`dropping databases: ${e.message}`));
    await server?.end();
    await stack.stop();
  }
  report.machine.uptimeAfter = machineLoad();
  printReport(report);
  console.log(`\nJSON: ${writeBenchJson("full", report.startedAt, report)}`);
  const wrong = report.datasets.some((d) => d.tools.some((t) => t.errors.length || t.runs.some((r) => !r.check.equal || !r.check.hasPrimaryKey)));
  return report.errors.length === 0 && !wrong ? 0 : 1;
}

/** One small transfer first, so the measured runs do not pay wrangler's first bundle, DO start-up, etc. */
async function warmUp(ctx: BenchContext): Promise<number> {
  const [src, dst] = [await ctx.server.createDatabase("warmup_src"), await ctx.server.createDatabase("warmup_dst")];
  const sql = connect(ctx.server.urlFor(src));
  try {
    await sql.unsafe("CREATE TABLE public.warm (id int PRIMARY KEY, v text); INSERT INTO public.warm SELECT g, md5(g::text) FROM generate_series(1, 10000) g; ANALYZE public.warm");
  } finally {
    await sql.end({ timeout: 5 });
  }
  const sourceId = await ctx.api.createConnector(`bench ${src}`, ctx.server.urlFor(src));
  const targetId = await ctx.api.createConnector(`bench ${dst}`, ctx.server.urlFor(dst));
  const taskId = await createFullLoadTask(ctx.api, { sourceId, targetId }, "warm", ctx.dtaas);
  const run = await runTask(ctx.api, ctx.runnerUrl, taskId, { pollMs: ctx.pollMs, timeoutMs: 180_000 });
  if (run.status !== "succeeded") throw new Error(`warm-up run ${run.status}: ${JSON.stringify(run.error)}`);
  await ctx.server.dropDatabase(src);
  await ctx.server.dropDatabase(dst);
  return run.seconds;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main(process.argv.slice(2));
