import { and, eq, inArray } from "drizzle-orm";
import type { RunProgress } from "../../../durable-objects/task-coordinator/progress";
import { createLogger } from "../../../engine/log/logger";
import { openDatabase } from "../db/client";
import { runs, tasks, webhookDeliveries, webhooks } from "../db/schema";
import { sha256Hex } from "../lib/crypto";
import { describeError } from "../lib/errors";
import type { WebhookEvent } from "./events";
import { eventsForRun, runEventPayload } from "./payload";
import { sendDeliveries } from "./store";

/**
 * Key in the TaskCoordinator's storage holding the id of the last run whose end was handed to
 * enqueueRunEvent. Persisted: do not rename.
 */
export const RUN_END_NOTIFIED_KEY = "webhooks.runEndNotified";

/**
 * One delivery per (webhook, run, event, occurrence), whoever asks and however often: a repeat inserts
 * nothing. `occurrence` tells apart events a run may raise more than once (cdc.lag_exceeded).
 */
async function deliveryIdFor(webhookId: string, runId: string, event: WebhookEvent, occurrence: string): Promise<string> {
  const key = `${webhookId}|${runId}|${event}${occurrence ? `|${occurrence}` : ""}`;
  return `whd_${(await sha256Hex(key)).slice(0, 26)}`;
}

/**
 * Records a delivery per subscribed active webhook and event of a finished run, and queues one small
 * message per delivery. Only D1 writes and a queue send: a slow receiver never slows the coordinator.
 * Idempotent (delivery ids derive from webhook, run and event), so a repeat after a crash re-sends only
 * deliveries nobody has attempted yet. Returns false, having logged why, when it could not finish.
 */
export async function enqueueRunEvent(
  env: Env,
  tenantId: string,
  progress: RunProgress,
  options: { events?: WebhookEvent[]; occurrence?: string } = {},
): Promise<boolean> {
  const events = options.events ?? eventsForRun(progress);
  if (events.length === 0) return true;
  const log = createLogger("webhooks", env).child({ runId: progress.runId, taskId: progress.taskId });
  try {
    const db = openDatabase(env.DB);
    const hooks = (await db.select().from(webhooks).where(and(eq(webhooks.tenantId, tenantId), eq(webhooks.active, true)))).filter((h) =>
      events.some((e) => (h.events as string[]).includes(e)),
    );
    if (hooks.length === 0) return true;
    const [task, run] = await Promise.all([
      db.query.tasks.findFirst({ where: and(eq(tasks.id, progress.taskId), eq(tasks.tenantId, tenantId)), columns: { name: true } }),
      db.query.runs.findFirst({ where: and(eq(runs.id, progress.runId), eq(runs.tenantId, tenantId)), columns: { mode: true } }),
    ]);
    const now = Date.now();
    const rows: (typeof webhookDeliveries.$inferInsert)[] = [];
    for (const hook of hooks) {
      for (const event of events.filter((e) => (hook.events as string[]).includes(e))) {
        const id = await deliveryIdFor(hook.id, progress.runId, event, options.occurrence ?? "");
        const payload = runEventPayload({ deliveryId: id, event, createdAt: now, task: { id: progress.taskId, name: task?.name ?? "" }, mode: run?.mode ?? "", progress });
        rows.push({ id, webhookId: hook.id, tenantId, event, payload: JSON.stringify(payload), status: "pending", attempts: 0, nextAttemptAt: now, createdAt: now, updatedAt: now });
      }
    }
    // One statement per row: D1 binds at most 100 parameters per statement.
    const inserts = rows.map((r) => db.insert(webhookDeliveries).values(r).onConflictDoNothing());
    await db.batch(inserts as [(typeof inserts)[0], ...typeof inserts]);
    const ids = rows.map((r) => r.id);
    const unattempted = await db
      .select({ id: webhookDeliveries.id })
      .from(webhookDeliveries)
      .where(and(inArray(webhookDeliveries.id, ids), eq(webhookDeliveries.status, "pending"), eq(webhookDeliveries.attempts, 0)));
    await sendDeliveries(env, unattempted.map((r) => r.id));
    log.info("webhook deliveries queued", { events, deliveries: unattempted.length });
    return true;
  } catch (e) {
    log.error("could not queue webhook deliveries", { events, error: describeError(e) });
    return false;
  }
}
