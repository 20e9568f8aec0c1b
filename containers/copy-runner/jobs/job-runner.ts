import { AppError, isAppError } from "../../../engine/errors/app-error";
import { classifyError } from "../../../engine/errors/classify";
import { Job } from "../../../engine/jobs/protocol";
import type { Logger } from "../../../engine/log/logger";
import { executeJob, type Progress } from "./execute";
import type { Pools } from "./pools";
import type { Reporter } from "./reporter";

export interface JobRunnerOptions {
  pools: Pools;
  reporter: Reporter;
  log: Logger;
  /** Jobs executed at once; more answer 503 and the queue redelivers them later. */
  maxConcurrent?: number;
  progressIntervalMs?: number;
}

const REMEMBERED_ATTEMPTS = 10_000;


/**
 * Accepts jobs, runs them in the background and reports to the coordinator. An attempt id is run at
 * most once per process (a redelivered queue message for a running or finished attempt is accepted
 * again without running twice).
 */
export class JobRunner {
  private readonly running = new Map<string, { stop: AbortController; stream: boolean; done: Promise<void> }>();
  private readonly finished = new Set<string>();
  private readonly maxConcurrent: number;

  constructor(private readonly options: JobRunnerOptions) {
    this.maxConcurrent = options.maxConcurrent ?? 8;
  }

  get active(): number {
    return this.running.size;
  }

  /**
   * Shutdown: ends every change stream (they report a retryable failure, so their coordinators dispatch
   * them again at once instead of waiting for a lease to expire) and waits up to `timeoutMs` for all jobs.
   */
  async stopAll(timeoutMs: number): Promise<void> {
    for (const job of this.running.values()) if (job.stream) job.stop.abort();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all([...this.running.values()].map((j) => j.done)), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  /** Validates and starts a job; returns whether it was newly started. */
  accept(body: unknown): { started: boolean } {
    const parsed = Job.safeParse(body);
    if (!parsed.success) {
      throw new AppError("VALIDATION_FAILED", `Not a job: ${parsed.error.issues[0]?.message ?? "invalid"}`, { status: 400 });
    }
    const job = parsed.data;
    if (this.running.has(job.attemptId) || this.finished.has(job.attemptId)) return { started: false };
    // Change streams run for as long as their task streams: they do not take the slots of finite jobs.
    const stream = job.type === "cdc_stream";
    const finite = [...this.running.values()].filter((j) => !j.stream).length;
    if (!stream && finite >= this.maxConcurrent) {
      throw new AppError("RUNNER_BUSY", "The copy runner is at its job limit; try again shortly.", { status: 503, retryable: true });
    }
    const stop = new AbortController();
    const entry = { stop, stream, done: Promise.resolve() };
    this.running.set(job.attemptId, entry);
    entry.done = this.run(job, stop);
    return { started: true };
  }

  private async run(job: Job, stop: AbortController): Promise<void> {
    const { reporter, log } = this.options;
    const ids = { taskId: job.taskId, runId: job.runId, attemptId: job.attemptId };
    const jobLog = log.child({ ...ids, job: job.type });
    const started = Date.now();
    const progress: Progress = { rows: 0, bytes: 0 };
    const timer = setInterval(() => {
      void reporter.progress(job.callbackUrl, { event: "progress", ...ids, rows: progress.rows, bytes: progress.bytes, cdc: progress.cdc }).then((accepted) => {
        // The coordinator moved on (a newer attempt, or the run ended): a stream must not keep applying.
        if (accepted === false && !stop.signal.aborted) {
          jobLog.info("the coordinator no longer wants this attempt; stopping it");
          stop.abort();
        }
      });
    }, this.options.progressIntervalMs ?? 1000);
    try {
      jobLog.debug("job started");
      const outcome = await executeJob(job, this.options.pools, progress, stop.signal);
      clearInterval(timer);
      jobLog.info("job succeeded", { ms: Date.now() - started, rows: progress.rows, bytes: progress.bytes, ...(progress.finishMs === undefined ? {} : { finishMs: progress.finishMs }) });
      await reporter.final(job.callbackUrl, { event: "succeeded", ...ids, outcome });
    } catch (e) {
      clearInterval(timer);
      const err = isAppError(e) ? e : classifyError(e);
      jobLog.warn("job failed", { code: err.code, error: err.message, retryable: err.retryable });
      await reporter.final(job.callbackUrl, { event: "failed", ...ids, error: { code: err.code, message: err.message, retryable: err.retryable } });
    } finally {
      this.running.delete(job.attemptId);
      this.finished.add(job.attemptId);
      if (this.finished.size > REMEMBERED_ATTEMPTS) this.finished.delete(this.finished.values().next().value!);
    }
  }
}
