import type { RunProgress } from "../../../durable-objects/task-coordinator/progress";
import type { WebhookEvent } from "./events";

export type ValidationResult = "passed" | "failed" | "skipped" | "pending";

/** The run's validation as one word: failed if any table failed, passed if all checked passed. */
export function validationResult(tables: { validation: string }[]): ValidationResult {
  if (tables.some((t) => t.validation === "failed")) return "failed";
  if (tables.length && tables.every((t) => t.validation === "skipped")) return "skipped";
  if (tables.length && tables.every((t) => t.validation === "passed" || t.validation === "skipped")) return "passed";
  return "pending";
}

/** Which events a run end raises; none for a run that is not over. */
export function eventsForRun(p: Pick<RunProgress, "status" | "error">): WebhookEvent[] {
  if (p.status === "succeeded") return ["run.succeeded"];
  if (p.status === "stopped") return ["run.stopped"];
  if (p.status === "failed") return p.error?.code === "VALIDATION_FAILED" ? ["run.failed", "validation.failed"] : ["run.failed"];
  return [];
}

/** The body of a run event (docs/webhooks.md). Stored as text at enqueue time; the signature covers it as is. */
export function runEventPayload(input: { deliveryId: string; event: WebhookEvent; createdAt: number; task: { id: string; name: string }; mode: string; progress: RunProgress }) {
  const p = input.progress;
  return {
    id: input.deliveryId,
    event: input.event,
    createdAt: input.createdAt,
    task: input.task,
    run: {
      id: p.runId,
      status: p.status,
      mode: input.mode,
      startedAt: p.startedAt,
      finishedAt: p.finishedAt,
      durationMs: p.startedAt != null && p.finishedAt != null ? Math.max(0, p.finishedAt - p.startedAt) : null,
      rowsCopied: p.rowsCopied,
      bytesCopied: p.bytesCopied,
      error: p.error ? { code: p.error.code, message: p.error.message } : null,
      tables: p.tables.map((t) => ({
        source: `${t.sourceSchema}.${t.sourceTable}`,
        target: `${t.targetSchema}.${t.targetTable}`,
        rows: t.rowsCopied,
        bytes: t.bytesCopied,
        validation: t.validation,
      })),
      cdc: p.cdc,
    },
    validation: { result: validationResult(p.tables) },
  };
}

/** A stored payload given a new delivery id (redelivery): the receiver sees the id it is signed for. */
export function withDeliveryId(payload: string, deliveryId: string): string {
  return JSON.stringify({ ...(JSON.parse(payload) as Record<string, unknown>), id: deliveryId });
}
