import { isAppError } from "../../../engine/errors/app-error";
import { classifyError } from "../../../engine/errors/classify";
import type { Job, RunnerEvent } from "../../../engine/jobs/protocol";
import type { Logger } from "../../../engine/log/logger";
import { executeJob, type Progress } from "./execute";
import type { Pools } from "./pools";

/** The ids every event of a job's attempt carries. */
export function attemptIds(job: Job): { taskId: string; runId: string; attemptId: string } {
  return { taskId: job.taskId, runId: job.runId, attemptId: job.attemptId };
}

export function attemptLog(log: Logger, job: Job): Logger {
  return log.child({ ...attemptIds(job), job: job.type });
}

/** Runs one attempt to its final event (`succeeded` or `failed`); never throws. */
export async function runAttempt(job: Job, pools: Pools, progress: Progress, signal: AbortSignal, log: Logger): Promise<RunnerEvent> {
  const ids = attemptIds(job);
  const started = Date.now();
  try {
    log.debug("job started");
    const outcome = await executeJob(job, pools, progress, signal);
    log.info("job succeeded", { ms: Date.now() - started, rows: progress.rows, bytes: progress.bytes, ...(progress.finishMs === undefined ? {} : { finishMs: progress.finishMs }) });
    return { event: "succeeded", ...ids, outcome };
  } catch (e) {
    const err = isAppError(e) ? e : classifyError(e);
    log.warn("job failed", { code: err.code, error: err.message, retryable: err.retryable });
    return { event: "failed", ...ids, error: { code: err.code, message: err.message, retryable: err.retryable } };
  }
}
