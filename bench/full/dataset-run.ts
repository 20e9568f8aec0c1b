import type { StackClient } from "../../test/support/api-client";
import { runBaseline, unavailableReason, type BaselineTool } from "./baselines";
import { cpuSplit } from "../cpu";
import { runnerPid } from "../rss";
import { breakdown, runnerJobs } from "./breakdown";
import { floorSql, runFloor, type FloorSql } from "./floor";
import { loadSource, type Dataset } from "./datasets";
import { createFullLoadTask, runTask, type DtaasOptions } from "./dtaas";
import { summarize, type DatasetResult, type Tool, type ToolResult, type ToolRun } from "./report";
import { connect, type Server } from "./servers";
import { checkTarget, digestOf } from "./verify";

/**
 * One dataset: a source database loaded once (every tool reads the same, VACUUM ANALYZEd table), then
 * `runs` rounds of every tool, each copying into a fresh target database that is dropped right after its
 * check (so disk use stays at one source and one target).
 */

export interface BenchContext {
  server: Server;
  api: StackClient;
  runnerUrl: string;
  stackOutput: readonly string[];
  dtaas: DtaasOptions;
  pollMs: number;
  /** The tools to run (the pipe is the ratio's reference: without it there is no ratio). */
  tools: Tool[];
  runs: number;
  step(what: string): void;
}

export const TOOLS: Tool[] = ["pipe", "pg_dump", "pgcopydb", "floor", "dtaas"];

export async function benchDataset(ctx: BenchContext, d: Dataset): Promise<DatasetResult> {
  const { server, api } = ctx;
  const sourceDb = await server.createDatabase(d.key);
  const sourceUrl = server.urlFor(sourceDb);
  const source = connect(sourceUrl);
  try {
    ctx.step(`${d.table}: loading ${d.rows.toLocaleString("en")} rows into ${sourceDb}`);
    const stats = await loadSource(source, d);
    const sourceDigest = await digestOf(source, d.table);
    const sourceId = await api.createConnector(`bench ${sourceDb}`, sourceUrl);
    const floor = ctx.tools.includes("floor") ? await floorSql(source, d) : null;
    const tools: ToolResult[] = TOOLS.filter((t) => ctx.tools.includes(t)).map((tool) => ({
      tool,
      // The floor needs only psql, as the pipe does.
      skipped: tool === "dtaas" ? null : unavailableReason(tool === "floor" ? "pipe" : tool, server.major),
      errors: [],
      runs: [],
      medianSeconds: null,
      rowsPerSecond: null,
      mbPerSecond: null,
      ratioVsPipe: null,
    }));
    for (let round = 1; round <= ctx.runs; round++) {
      for (const t of tools) {
        if (t.skipped) continue;
        ctx.step(`${d.table}: ${t.tool}, run ${round} of ${ctx.runs}`);
        try {
          const run = await copyOnce(ctx, d, t.tool, { sourceUrl, sourceId, sourceDigest, floor });
          t.runs.push(run);
          const ok = run.check.equal && run.check.hasPrimaryKey;
          ctx.step(`${d.table}: ${t.tool} ${run.seconds.toFixed(2)} s, target ${ok ? "equal with its key" : "WRONG (see the report)"}`);
        } catch (error) {
          t.errors.push((error as Error).message);
          ctx.step(`${d.table}: ${t.tool} FAILED: ${(error as Error).message.split("\n")[0]}`);
        }
      }
    }
    const pipe = tools.find((t) => t.tool === "pipe");
    if (pipe) summarize(pipe, stats, null);
    for (const t of tools) summarize(t, stats, pipe?.medianSeconds ?? null);
    return { key: d.key, table: d.table, source: stats, tools };
  } finally {
    await source.end({ timeout: 5 });
    await server.dropDatabase(sourceDb);
  }
}

async function copyOnce(
  ctx: BenchContext,
  d: Dataset,
  tool: Tool,
  src: { sourceUrl: string; sourceId: string; sourceDigest: Awaited<ReturnType<typeof digestOf>>; floor: FloorSql | null },
): Promise<ToolRun> {
  const targetDb = await ctx.server.createDatabase(`${d.key}_${tool}`);
  const targetUrl = ctx.server.urlFor(targetDb);
  const target = connect(targetUrl);
  try {
    let run: ToolRun;
    if (tool === "dtaas") {
      const targetId = await ctx.api.createConnector(`bench ${targetDb}`, targetUrl);
      const taskId = await createFullLoadTask(ctx.api, { sourceId: src.sourceId, targetId }, d.table, ctx.dtaas);
      const cpu = cpuSplit(ctx.server.postmasterPid, await runnerPid(ctx.runnerUrl));
      const r = await runTask(ctx.api, ctx.runnerUrl, taskId, { pollMs: ctx.pollMs });
      const split = cpu();
      if (r.status !== "succeeded") throw new Error(`run ${r.runId} ${r.status}: ${JSON.stringify(r.error)}`);
      const b = breakdown(runnerJobs(ctx.stackOutput, r.runId, r.startedAtMs), r.seconds * 1000, r.logs, r.startedAtMs);
      run = { seconds: r.seconds, cpu: split, check: await checkTarget(target, d.table, src.sourceDigest), dtaas: { ...r, breakdown: b } };
      await ctx.api.delete(`/tasks/${taskId}`);
      await ctx.api.delete(`/connectors/${targetId}`);
    } else {
      if (tool === "pipe" || tool === "floor") await target.unsafe(d.createSql);
      // What a user of the pipe gets: the target table exists with its primary key before the COPY.
      if (tool === "pipe") await target.unsafe(d.keySql);
      const cpu = cpuSplit(ctx.server.postmasterPid, await runnerPid(ctx.runnerUrl));
      const r = tool === "floor" ? await runFloor(src.floor!, d, src.sourceUrl, targetUrl) : await runBaseline(tool as BaselineTool, d.table, src.sourceUrl, targetUrl);
      run = { seconds: r.seconds, cpu: cpu(), check: await checkTarget(target, d.table, src.sourceDigest) };
    }
    return run;
  } finally {
    await target.end({ timeout: 5 });
    await ctx.server.dropDatabase(targetDb);
  }
}
