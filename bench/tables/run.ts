/**
 * `npm run bench -- tables [--pg <superuser URL>] [--tables 200] [--rows 1000] [--runs 3]
 *                   [--parallel-tables 2] [--no-validate] [--tools pg_dump,pgcopydb,dtaas]`
 *
 * A full load of many small tables, where what each table costs apart from its rows decides: `--tables`
 * tables of `--rows` rows (integer key, four more columns, a secondary index), copied whole by
 * `pg_dump | psql`, `pgcopydb clone` (2 table jobs, 2 index jobs) and a DTaaS task of `public.*` through
 * the local stack (task defaults unless told). The pipe has no place here: it copies one existing table.
 * Every copy is checked table by table (count + md5, primary key). Medians, tables/s and tool s / DTaaS s
 * are printed; JSON goes to test-output/bench/tables-<timestamp>.json.
 */
import { parseArgs } from "node:util";
import type postgres from "postgres";
import { tableDigest } from "../../engine/test-support/table-digest";
import { StackClient } from "../../test/support/api-client";
import { startLocalStack } from "../../test/support/local-stack";
import { runBaseline, unavailableReason, type BaselineTool } from "../full/baselines";
import { runTask } from "../full/dtaas";
import { connect, openServer, type Server } from "../full/servers";
import { machineLoad, writeBenchJson } from "../output";
import { cpuSplit, type CpuSplit } from "../cpu";
import { runnerPid } from "../rss";

type Tool = "pg_dump" | "pgcopydb" | "dtaas";
const TOOLS: Tool[] = ["pg_dump", "pgcopydb", "dtaas"];

interface ToolResult {
  tool: Tool;
  skipped: string | null;
  seconds: number[];
  cpu: CpuSplit[];
  errors: string[];
  medianSeconds: number | null;
}

const name = (i: number) => `t_${String(i).padStart(4, "0")}`;

async function loadSource(sql: postgres.Sql, tables: number, rows: number): Promise<void> {
  for (let i = 1; i <= tables; i++) {
    await sql.unsafe(`CREATE TABLE public.${name(i)} (id int PRIMARY KEY, a int NOT NULL, b text, c timestamptz, d numeric(10,2));
      CREATE INDEX ON public.${name(i)} (a);
      INSERT INTO public.${name(i)} SELECT g, g % 97, 'row ' || g || ' of ${i}', timestamptz '2024-01-01' + g * interval '1 minute', g / 3.0
        FROM generate_series(1, ${rows}) g;`);
  }
  await sql.unsafe("VACUUM ANALYZE");
}

/** Every table equal to the source and keyed; returns the first difference, or null. */
async function difference(source: postgres.Sql, target: postgres.Sql, tables: number): Promise<string | null> {
  for (let i = 1; i <= tables; i++) {
    const ref = { schema: "public", name: name(i) };
    const [want, got] = await Promise.all([tableDigest(source, ref), tableDigest(target, ref).catch(() => null)]);
    if (!got || got.count !== want.count || got.md5 !== want.md5) return `${name(i)}: source ${want.count} rows, target ${got?.count ?? "missing"}`;
    const [k] = await target.unsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM pg_index WHERE indisprimary AND indrelid = to_regclass('public.${name(i)}')`);
    if (k!.n !== 1) return `${name(i)}: no primary key on the target`;
  }
  return null;
}

const cpuCells = (c: CpuSplit) => [c.postgres, c.runner, c.workers, c.tools].map((v) => (v === null ? "–" : v.toFixed(1))).join("/");

const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : null);

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      pg: { type: "string" },
      tables: { type: "string", default: "200" },
      rows: { type: "string", default: "1000" },
      runs: { type: "string", default: "3" },
      "parallel-tables": { type: "string", default: "2" },
      "no-validate": { type: "boolean", default: false },
      tools: { type: "string", default: TOOLS.join(",") },
    },
  });
  const chosen = values.tools.split(",") as Tool[];
  if (!chosen.every((t) => TOOLS.includes(t))) throw new Error(`--tools takes a list of ${TOOLS.join(", ")}`);
  const [tables, rows, runs] = [Number(values.tables), Number(values.rows), Math.max(1, Number(values.runs))];
  const options = { parallelTables: Number(values["parallel-tables"]), validate: !values["no-validate"] };
  const step = (what: string) => console.log(`[bench tables] ${new Date().toISOString().slice(11, 19)} ${what}`);
  const startedAt = new Date().toISOString();
  const loadBefore = machineLoad();
  step("starting the local stack");
  const stack = await startLocalStack({ demoOrders: 10 });
  let server: Server | undefined;
  const results: ToolResult[] = chosen.map((tool) => ({ tool, skipped: null, seconds: [], cpu: [], errors: [], medianSeconds: null }));
  try {
    server = await openServer(values.pg ?? stack.pgUrl);
    for (const r of results) if (r.tool !== "dtaas") r.skipped = unavailableReason(r.tool as BaselineTool, server.major);
    const api = new StackClient(stack.origin);
    await api.signUp("Many-tables bench");
    const sourceDb = await server.createDatabase("tables_src");
    const sourceUrl = server.urlFor(sourceDb);
    const source = connect(sourceUrl);
    step(`source: ${tables} tables of ${rows} rows`);
    await loadSource(source, tables, rows);
    const sourceId = await api.createConnector("bench tables source", sourceUrl);
    for (let round = 1; round <= runs; round++) {
      for (const r of results) {
        if (r.skipped) continue;
        const targetDb = await server.createDatabase(`tables_${r.tool}`);
        const targetUrl = server.urlFor(targetDb);
        const target = connect(targetUrl);
        try {
          let seconds: number;
          const cpu = cpuSplit(server.postmasterPid, await runnerPid(stack.runnerUrl));
          if (r.tool === "dtaas") {
            const targetId = await api.createConnector(`bench ${targetDb}`, targetUrl);
            const body = { name: `bench tables ${round}`, sourceId, targetId, mode: "full_load", tables: { include: ["public.*"] }, options };
            const taskId = (await api.expectOk("POST", "/tasks", body)).id as string;
            const run = await runTask(api, stack.runnerUrl, taskId);
            if (run.status !== "succeeded") throw new Error(`run ${run.runId} ${run.status}: ${JSON.stringify(run.error)}`);
            seconds = run.seconds;
            await api.delete(`/tasks/${taskId}`);
            await api.delete(`/connectors/${targetId}`);
          } else {
            seconds = (await runBaseline(r.tool, null, sourceUrl, targetUrl)).seconds;
          }
          const split = cpu();
          const wrong = await difference(source, target, tables);
          if (wrong) throw new Error(`target differs: ${wrong}`);
          r.seconds.push(seconds);
          r.cpu.push(split);
          step(`${r.tool}, run ${round} of ${runs}: ${seconds.toFixed(2)} s, every table equal with its key`);
        } catch (error) {
          r.errors.push((error as Error).message);
          step(`${r.tool}, run ${round} of ${runs} FAILED: ${(error as Error).message.split("\n")[0]}`);
        } finally {
          await target.end({ timeout: 5 });
          await server.dropDatabase(targetDb);
        }
      }
    }
    await source.end({ timeout: 5 });
  } finally {
    step("dropping the benchmark's databases and stopping the local stack");
    await server?.dropAll();
    await server?.end();
    await stack.stop();
  }
  for (const r of results) r.medianSeconds = median(r.seconds);
  const dtaas = results.find((r) => r.tool === "dtaas")?.medianSeconds ?? null;
  console.log(`\nMany small tables — ${tables} tables × ${rows} rows (+ primary key and one index each), PostgreSQL ${server?.version ?? "?"}, median of ${runs}`);
  console.log(`DTaaS task options: parallelTables ${options.parallelTables}, validate ${options.validate}, other options their defaults`);
  console.log(`load before: ${loadBefore}`);
  console.log(["tool".padEnd(9), "seconds".padStart(8), "tables/s".padStart(9), "tool s / DTaaS s".padStart(17), "  runs (s)".padEnd(22), "CPU s: postgres/runner/wrangler+workerd/clients"].join(" "));
  for (const r of results) {
    const m = r.medianSeconds;
    const cells = r.skipped
      ? [r.tool.padEnd(9), `skipped: ${r.skipped}`]
      : [r.tool.padEnd(9), (m?.toFixed(2) ?? "–").padStart(8), (m ? (tables / m).toFixed(0) : "–").padStart(9), (m && dtaas ? (m / dtaas).toFixed(2) : "–").padStart(17), `  ${r.seconds.map((s) => s.toFixed(2)).join(", ")}`.padEnd(22), r.cpu.map(cpuCells).join(", ")];
    console.log(cells.join(" "));
    for (const e of r.errors) console.log(`  ${r.tool} error: ${e.split("\n")[0]}`);
  }
  const file = writeBenchJson("tables", startedAt, { tables, rows, runs, options, server: server?.version, loadBefore, loadAfter: machineLoad(), results });
  console.log(`\nJSON: ${file}`);
  return results.some((r) => r.errors.length > 0) ? 1 : 0;
}
