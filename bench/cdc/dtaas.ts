import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { StackClient } from "../../test/support/api-client";

/** DTaaS side of the CDC benchmark: the task, its run's progress as the public API reports it, the runner. */

export interface BenchTask {
  taskId: string;
  runId: string;
}

/** Creates connectors and a task over every public table, starts it and waits for phase `streaming`. */
export async function startStreamingTask(
  api: StackClient,
  urls: { source: string; target: string },
  mode: "cdc" | "full_load_and_cdc",
  timeoutMs = 600_000,
): Promise<BenchTask & { streamingAfterMs: number }> {
  const sourceId = await api.createConnector("bench source", urls.source);
  const targetId = await api.createConnector("bench target", urls.target);
  const taskId = (await api.expectOk("POST", "/tasks", { name: `bench cdc ${mode}`, sourceId, targetId, mode })).id as string;
  const started = performance.now();
  const { runId } = (await api.expectOk("POST", `/tasks/${taskId}/start`)) as { runId: string };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await api.expectOk("GET", `/runs/${runId}`);
    if (run.phase === "streaming") return { taskId, runId, streamingAfterMs: performance.now() - started };
    if (run.status !== "running" && run.status !== "queued") throw new Error(`run ended before streaming: ${JSON.stringify(run)}`);
    if (Date.now() > deadline) throw new Error(`run not streaming after ${timeoutMs / 1000} s: ${JSON.stringify(run)}`);
    await sleep(250);
  }
}

export interface CdcSample {
  /** performance.now() when the answer arrived. */
  t: number;
  status: string;
  changesApplied: number;
  lagSeconds: number | null;
  lagBytes: number | null;
}

export async function cdcSample(api: StackClient, runId: string): Promise<CdcSample> {
  const run = await api.expectOk("GET", `/runs/${runId}`);
  return {
    t: performance.now(),
    status: run.status,
    changesApplied: run.cdc?.changesApplied ?? 0,
    lagSeconds: run.cdc?.lagSeconds ?? null,
    lagBytes: run.cdc?.lagBytes ?? null,
  };
}

/**
 * Samples GET /runs/:id every `intervalMs` until stop(). Hazard: the API answers from D1, which the
 * coordinator writes at most once a second while running — consecutive samples repeat values.
 */
export function startSampler(api: StackClient, runId: string, intervalMs = 100) {
  const samples: CdcSample[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      const s = await cdcSample(api, runId);
      samples.push(s);
      if (s.status !== "running") throw new Error(`run left running during the benchmark: ${JSON.stringify(s)}`);
      await sleep(Math.max(0, intervalMs - (performance.now() - started)));
    }
  })();
  return {
    samples,
    async stop(): Promise<CdcSample[]> {
      running = false;
      await loop;
      return samples;
    },
  };
}

export async function runnerPid(runnerUrl: string): Promise<number> {
  const res = await fetch(`${runnerUrl}/health`);
  return ((await res.json()) as { pid: number }).pid;
}

/** VmRSS and VmHWM (peak RSS over the process's life) in MiB, from /proc/<pid>/status (Linux only). */
export function processMemory(pid: number): { rssMiB: number; hwmMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rssMiB: kb("VmRSS") / 1024, hwmMiB: kb("VmHWM") / 1024 };
}

/** Samples the runner's RSS every `intervalMs`; stop() returns the highest RSS seen. */
export function startMemorySampler(pid: number, intervalMs = 100) {
  let peak = processMemory(pid).rssMiB;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, processMemory(pid).rssMiB);
    } catch {
      // The runner died (the stack restarts it): the run's error surfaces through the API instead.
    }
  }, intervalMs);
  return {
    stop(): number {
      clearInterval(timer);
      return peak;
    },
  };
}

/** Stops the task (the coordinator drops slot and publication) and deletes it. */
export async function stopTask(api: StackClient, taskId: string): Promise<void> {
  await api.expectOk("POST", `/tasks/${taskId}/stop`);
  const res = await api.delete(`/tasks/${taskId}`);
  if (res.status !== 204) console.error(`[bench] DELETE /tasks/${taskId} answered ${res.status}: ${res.text}`);
}
