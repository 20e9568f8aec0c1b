import { setTimeout as sleep } from "node:timers/promises";
import type { StackClient } from "../../test/support/api-client";
import { watchRuns } from "./watch-run";
import { processMemory, resetPeak, runnerPid, sampleRss } from "../rss";

/**
 * DTaaS side of the full-load benchmark: one full_load task per copy, driven through the public API exactly
 * as a client would, timed from the POST /tasks/:id/start request to the first GET /runs/:id that answers
 * `succeeded`. That GET is sent when the task's WebSocket reports the run's end (then every 20 ms until D1,
 * written right after the message, agrees), or every `pollMs` as a fallback.
 */

export interface DtaasOptions {
  chunkRows: number;
  parallelTables: number;
  validate: boolean;
}

export interface RunnerMemory {
  pidBefore: number;
  pidAfter: number;
  /** VmRSS just before the start request, MiB. */
  rssBeforeMiB: number;
  /** VmHWM after the run, MiB: the run's peak when hwmReset, else the runner's lifetime peak. */
  peakMiB: number;
  hwmReset: boolean;
  /** Highest VmRSS sampled every 100 ms during the run (cross-check of peakMiB), MiB. */
  sampledPeakMiB: number;
}

export interface DtaasRun {
  seconds: number;
  runId: string;
  status: string;
  /** Wall clock (Date.now()) of the start request, for lining up log timestamps. */
  startedAtMs: number;
  /** Wall clock when `succeeded` was seen. */
  endedAtMs: number;
  /** The run's own startedAt → finishedAt (coordinator clock, no polling delay), ms. */
  durationMs: number | null;
  rowsCopied: number;
  bytesCopied: number;
  chunks: number;
  error: unknown;
  memory: RunnerMemory;
  logs: { time: number; level: string; message: string; fields: unknown }[];
}

/** Creates a task copying public.<table> between two existing connectors; returns its id. */
export async function createFullLoadTask(api: StackClient, ids: { sourceId: string; targetId: string }, table: string, options: DtaasOptions): Promise<string> {
  const body = {
    name: `bench ${table} ${Math.random().toString(36).slice(2, 8)}`,
    ...ids,
    mode: "full_load",
    tables: { include: [`public.${table}`] },
    options,
  };
  return (await api.expectOk("POST", "/tasks", body)).id as string;
}

/** `pollMs`: the fallback poll of GET /runs/:id; each poll costs Worker CPU on this (2-core) machine. */
export async function runTask(api: StackClient, runnerUrl: string, taskId: string, { pollMs = 2000, timeoutMs = 1_800_000 } = {}): Promise<DtaasRun> {
  const pidBefore = await runnerPid(runnerUrl);
  const hwmReset = resetPeak(pidBefore);
  const rssBeforeMiB = processMemory(pidBefore).rssMiB;
  const sampler = sampleRss(pidBefore);
  const startedAtMs = Date.now();
  const started = performance.now();
  let run: any;
  let sampledPeakMiB = 0;
  const watch = await watchRuns(api, taskId);
  try {
    const { runId } = (await api.expectOk("POST", `/tasks/${taskId}/start`)) as { runId: string };
    let endSeen = false;
    const ended = watch.ended(runId).then(() => (endSeen = true));
    for (;;) {
      run = await api.expectOk("GET", `/runs/${runId}`);
      if (run.status !== "running" && run.status !== "queued") break;
      if (performance.now() - started > timeoutMs) throw new Error(`run ${runId} still ${run.status}/${run.phase} after ${timeoutMs / 1000} s`);
      await (endSeen ? sleep(20) : Promise.race([ended, sleep(pollMs)]));
    }
  } finally {
    watch.close();
    sampledPeakMiB = sampler.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  const endedAtMs = Date.now();
  const pidAfter = await runnerPid(runnerUrl);
  // After a restart the old process is gone: the new one's VmHWM covers only the part of the run it saw.
  const peakMiB = processMemory(pidAfter).hwmMiB;
  const logs = (await api.expectOk("GET", `/runs/${run.id}/logs?limit=500`)).items ?? [];
  const tables: any[] = run.tables ?? [];
  return {
    seconds,
    runId: run.id,
    status: run.status,
    startedAtMs,
    endedAtMs,
    durationMs: run.durationMs ?? null,
    rowsCopied: run.rowsCopied,
    bytesCopied: run.bytesCopied,
    chunks: tables.reduce((s, t) => s + (t.chunksTotal ?? 0), 0),
    error: run.error ?? null,
    memory: { pidBefore, pidAfter, rssBeforeMiB, peakMiB, hwmReset: hwmReset && pidAfter === pidBefore, sampledPeakMiB },
    logs,
  };
}
