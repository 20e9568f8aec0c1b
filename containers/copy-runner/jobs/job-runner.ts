import { AppError } from "../../../engine/errors/app-error";
import { Job, JobBatch } from "../../../engine/jobs/protocol";
import type { Logger } from "../../../engine/log/logger";
import { attemptIds, attemptLog, runAttempt } from "./attempt";
import { runBatch } from "./batch-runner";
import type { Progress } from "./execute";
import type { Pools } from "./pools";
import type { Reporter } from "./reporter";

export interface JobRunnerOptions {
  pools: Pools;
  reporter: Reporter;
  log: Logger;
  /** Jobs executed at once (a batch counts as one); more answer 503 and the queue redelivers them later. */
  maxConcurrent?: number;
  progressIntervalMs?: number;
}

const REMEMBERED_ATTEMPTS = 10_000;
/** A RunnerEventBatch holds at most 500 events: a batch's results must fit in one. */
const MAX_BATCH_JOBS = 500;

/** One slot: a job, or a batch (every attempt of a batch maps to the same entry). */
interface Entry {
  stop: AbortController;
  stream: boolean;
  batch: boolean;
  done: Promise<void>;
}

/**
 * Accepts jobs and batches of copy jobs, runs them in the background and reports to the coordinator.
 * An attempt id is run at most once per process, alone or in a batch (a redelivered queue message for a
 * running or finished attempt is accepted again without running twice). An attempt stays in `running`
 * until its result is reported.
 */
export class JobRunner {
  private readonly running = new Map<string, Entry>();
  private readonly finished = new Set<string>();
  private readonly maxConcurrent: number;
  private readonly progressIntervalMs: number;

  constructor(private readonly options: JobRunnerOptions) {
    this.maxConcurrent = options.maxConcurrent ?? 8;
    this.progressIntervalMs = options.progressIntervalMs ?? 1000;
  }

  /** Attempts running (those of a batch included, until the batch has reported). */
  get active(): number {
    return this.running.size;
  }

  /**
   * Shutdown: ends every change stream and hands back the jobs of batches not started yet (both report a
   * retryable failure, so their coordinators dispatch them again at once instead of waiting for a lease
   * to expire), and waits up to `timeoutMs` for all jobs. A copy already running runs to its end.
   */
  async stopAll(timeoutMs: number): Promise<void> {
    for (const job of this.running.values()) if (job.stream || job.batch) job.stop.abort();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all([...this.running.values()].map((j) => j.done)), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  /**
   * Validates and starts a job or a batch; returns whether anything was newly started. A batch runs
   * only its attempts not already running or finished here.
   */
  accept(body: unknown): { started: boolean } {
    const work = parseWork(body);
    if (work.type === "batch") {
      return this.start(work.jobs, "batch", (jobs, stop) =>
        runBatch(jobs, { pools: this.options.pools, reporter: this.options.reporter, log: this.options.log, progressIntervalMs: this.progressIntervalMs, signal: stop.signal }),
      );
    }
    // Change streams run for as long as their task streams: they do not take the slots of finite jobs.
    return this.start([work], work.type === "cdc_stream" ? "stream" : "job", (jobs, stop) => this.run(jobs[0]!, stop));
  }

  private start<J extends Job>(all: J[], kind: "job" | "batch" | "stream", run: (jobs: J[], stop: AbortController) => Promise<void>): { started: boolean } {
    const stream = kind === "stream";
    const jobs = all.filter((j) => !this.running.has(j.attemptId) && !this.finished.has(j.attemptId));
    if (jobs.length === 0) return { started: false };
    const finite = new Set([...this.running.values()].filter((j) => !j.stream)).size;
    if (!stream && finite >= this.maxConcurrent) {
      throw new AppError("RUNNER_BUSY", "The copy runner is at its job limit; try again shortly.", { status: 503, retryable: true });
    }
    const entry: Entry = { stop: new AbortController(), stream, batch: kind === "batch", done: Promise.resolve() };
    for (const job of jobs) this.running.set(job.attemptId, entry);
    entry.done = run(jobs, entry.stop).finally(() => {
      for (const job of jobs) {
        this.running.delete(job.attemptId);
        this.finished.add(job.attemptId);
      }
      while (this.finished.size > REMEMBERED_ATTEMPTS) this.finished.delete(this.finished.values().next().value!);
    });
    return { started: true };
  }

  private async run(job: Job, stop: AbortController): Promise<void> {
    const { reporter } = this.options;
    const jobLog = attemptLog(this.options.log, job);
    const progress: Progress = { rows: 0, bytes: 0 };
    const timer = setInterval(() => {
      void reporter.progress(job.callbackUrl, { event: "progress", ...attemptIds(job), rows: progress.rows, bytes: progress.bytes, cdc: progress.cdc }).then((accepted) => {
        // The coordinator moved on (a newer attempt, or the run ended): a stream must not keep applying.
        if (accepted === false && !stop.signal.aborted) {
          jobLog.info("the coordinator no longer wants this attempt; stopping it");
          stop.abort();
        }
      });
    }, this.progressIntervalMs);
    const result = await runAttempt(job, this.options.pools, progress, stop.signal, jobLog);
    clearInterval(timer);
    await reporter.final(job.callbackUrl, result);
  }
}

/** A Job or a JobBatch of one task and one callback URL, each attempt once; AppError VALIDATION_FAILED otherwise. */
function parseWork(body: unknown): Job | JobBatch {
  const isBatch = (body as { type?: unknown } | null)?.type === "batch";
  const parsed = isBatch ? JobBatch.safeParse(body) : Job.safeParse(body);
  if (!parsed.success) invalid(`Not a ${isBatch ? "job batch" : "job"}: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  const work = parsed.data;
  if (work.type !== "batch") return work;
  const { taskId, callbackUrl } = work.jobs[0]!;
  if (work.jobs.length > MAX_BATCH_JOBS) invalid(`A job batch holds at most ${MAX_BATCH_JOBS} jobs.`);
  if (work.jobs.some((j) => j.taskId !== taskId || j.callbackUrl !== callbackUrl)) invalid("The jobs of a batch must share their task and callback URL.");
  if (new Set(work.jobs.map((j) => j.attemptId)).size !== work.jobs.length) invalid("The jobs of a batch must have distinct attempt ids.");
  return work;
}

function invalid(message: string): never {
  throw new AppError("VALIDATION_FAILED", message, { status: 400 });
}
