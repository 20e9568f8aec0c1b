import type { CopyChunkJob, RunnerEvent } from "../../../engine/jobs/protocol";
import type { Logger } from "../../../engine/log/logger";
import { attemptIds, attemptLog, runAttempt } from "./attempt";
import type { Progress } from "./execute";
import type { Pools } from "./pools";
import type { Reporter } from "./reporter";

export interface BatchRunOptions {
  pools: Pools;
  reporter: Reporter;
  log: Logger;
  progressIntervalMs: number;
  signal: AbortSignal;
}

/**
 * Runs the copy jobs of one batch (one task, one callback URL) one after another and reports them
 * together: every interval, one progress report listing each job not finished yet; at the end, every
 * final event in one report. A job the coordinator answers `accepted: false` for before its turn is
 * skipped: not run, and no event reports it. Once `signal` aborts (the runner shuts down), the jobs
 * not started yet are reported failed, retryable (RUNNER_STOPPING), so the coordinator retries them
 * without waiting for their leases; the running one runs to its end, as a single copy job does.
 */
export async function runBatch(jobs: readonly CopyChunkJob[], options: BatchRunOptions): Promise<void> {
  const { pools, reporter, log } = options;
  const { taskId, runId, callbackUrl } = jobs[0]!;
  log.info("batch started", { taskId, runId, jobs: jobs.length });
  const progress = new Map<CopyChunkJob, Progress>(jobs.map((job) => [job, { rows: 0, bytes: 0 }]));
  // In order; the loop below does not visit a job the heartbeat deletes before its turn.
  const unfinished = new Set(jobs);
  let running: CopyChunkJob | undefined;
  let beat: Promise<void> | null = null;

  const timer = setInterval(() => {
    if (beat) return;
    const listed = [...unfinished];
    const events = listed.map((job) => ({ event: "progress" as const, ...attemptIds(job), rows: progress.get(job)!.rows, bytes: progress.get(job)!.bytes }));
    beat = reporter.progressBatch(callbackUrl, { taskId, events }).then((accepted) => {
      beat = null;
      accepted?.forEach((ok, i) => {
        const job = listed[i]!;
        if (ok !== false || job === running || !unfinished.has(job)) return;
        attemptLog(log, job).info("the coordinator no longer wants this attempt; skipping it");
        unfinished.delete(job);
      });
    });
  }, options.progressIntervalMs);

  const finals: RunnerEvent[] = [];
  for (const job of unfinished) {
    running = job;
    // The runner is shutting down: what has not started is handed back at once, as retryable.
    finals.push(
      options.signal.aborted
        ? { event: "failed", ...attemptIds(job), error: { code: "RUNNER_STOPPING", message: "The copy runner stopped before this table's turn in its batch.", retryable: true } }
        : await runAttempt(job, pools, progress.get(job)!, options.signal, attemptLog(log, job)),
    );
    unfinished.delete(job);
  }
  clearInterval(timer);
  // A progress report still in flight lands before the results: the coordinator never sees progress after a result.
  await beat;
  if (finals.length > 0) await reporter.finalBatch(callbackUrl, { taskId, events: finals });
}
