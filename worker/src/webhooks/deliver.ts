import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { createLogger, type Logger } from "../../../engine/log/logger";
import { openDatabase, type Database } from "../db/client";
import { webhookDeliveries, webhooks } from "../db/schema";
import { describeError } from "../lib/errors";
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signatureHeader } from "./signature";
import { webhookSecret, type DeliveryRow } from "./store";

export const MAX_ATTEMPTS = 8;
export const ATTEMPT_TIMEOUT_MS = 10_000;

/** Wait after failed attempt n (1-based): 30 s, 1, 2, 4, 8, 16, 32 min — about an hour over 8 attempts. */
export const backoffSeconds = (attempt: number) => Math.min(3600, 30 * 2 ** Math.max(0, attempt - 1));

const Message = z.object({ deliveryId: z.string().min(1).max(64) });

type Outcome = { done: true } | { done: false; retryInSeconds: number };

/**
 * The `dtaas-webhooks` consumer. Each message is one attempt of one delivery; the attempt and its result
 * are recorded on the delivery row before the message is acknowledged or retried with the backoff delay.
 */
export async function consumeWebhookBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const log = createLogger("webhooks", env);
  await Promise.all(
    batch.messages.map(async (msg) => {
      const parsed = Message.safeParse(msg.body);
      if (!parsed.success) {
        // A poison message can never succeed: acknowledge it so it does not block the queue.
        log.error("dropping malformed webhook message", { id: msg.id });
        msg.ack();
        return;
      }
      try {
        const outcome = await attemptDelivery(env, parsed.data.deliveryId, log);
        if (outcome.done) msg.ack();
        else msg.retry({ delaySeconds: outcome.retryInSeconds });
      } catch (e) {
        // The attempt could not be recorded (D1 or the secret unreadable): the queue redelivers it.
        log.error("webhook attempt not recorded; redelivering", { deliveryId: parsed.data.deliveryId, error: describeError(e) });
        msg.retry({ delaySeconds: backoffSeconds(msg.attempts) });
      }
    }),
  );
}

/** Posts the stored payload once and records the result; says whether another attempt should follow. */
export async function attemptDelivery(env: Env, deliveryId: string, log: Logger): Promise<Outcome> {
  const db = openDatabase(env.DB);
  const delivery = await db.query.webhookDeliveries.findFirst({ where: eq(webhookDeliveries.id, deliveryId) });
  // Deleted with its webhook, or settled by an earlier copy of this message.
  if (!delivery || delivery.status !== "pending") return { done: true };
  const hook = await db.query.webhooks.findFirst({ where: and(eq(webhooks.id, delivery.webhookId), eq(webhooks.tenantId, delivery.tenantId)) });
  if (!hook) return { done: true };
  if (!hook.active) {
    await record(db, delivery, { status: "failed", attempts: delivery.attempts, lastStatusCode: null, lastError: "The webhook is inactive.", nextAttemptAt: null, updatedAt: Date.now() });
    return { done: true };
  }
  const timestamp = Math.floor(Date.now() / 1000);
  const result = await post(hook.url, delivery, await signatureHeader(await webhookSecret(env, hook), delivery.payload, timestamp));
  const attempts = delivery.attempts + 1;
  const ok = result.status !== null && result.status >= 200 && result.status < 300;
  const last = ok || attempts >= MAX_ATTEMPTS;
  const retryInSeconds = backoffSeconds(attempts);
  const now = Date.now();
  await record(db, delivery, {
    status: ok ? "succeeded" : last ? "failed" : "pending",
    attempts,
    lastStatusCode: result.status,
    lastError: ok ? null : result.error,
    nextAttemptAt: last ? null : now + retryInSeconds * 1000,
    updatedAt: now,
  });
  const fields = { deliveryId, webhookId: hook.id, event: delivery.event, attempt: attempts, status: result.status };
  if (ok) log.info("webhook delivered", fields);
  else log.warn(last ? "webhook delivery failed; giving up" : "webhook delivery failed; retrying", { ...fields, error: result.error, retryInSeconds: last ? null : retryInSeconds });
  return last ? { done: true } : { done: false, retryInSeconds };
}

async function post(url: string, delivery: DeliveryRow, signature: string): Promise<{ status: number | null; error: string | null }> {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "DTaaS-Webhooks/1",
        [SIGNATURE_HEADER]: signature,
        [EVENT_HEADER]: delivery.event,
        [DELIVERY_HEADER]: delivery.id,
      },
      body: delivery.payload,
      // A redirect is an answer, not a hop to follow: the signed URL is the one the tenant registered.
      redirect: "manual",
      signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
    });
    // The receiver's answer is not kept; release the connection.
    await res.body?.cancel();
    return { status: res.status, error: res.ok ? null : `The receiver answered ${res.status}.` };
  } catch (e) {
    const err = e as { name?: string; message?: string };
    const timedOut = err.name === "TimeoutError" || err.name === "AbortError";
    return { status: null, error: timedOut ? `No answer within ${ATTEMPT_TIMEOUT_MS / 1000} s.` : `Could not reach the receiver: ${String(err.message ?? e).slice(0, 200)}` };
  }
}

/** Writes an attempt's result unless another copy of the message recorded this attempt first. */
async function record(db: Database, delivery: DeliveryRow, changes: Pick<DeliveryRow, "status" | "attempts" | "lastStatusCode" | "lastError" | "nextAttemptAt" | "updatedAt">): Promise<void> {
  await db
    .update(webhookDeliveries)
    .set(changes)
    .where(and(eq(webhookDeliveries.id, delivery.id), eq(webhookDeliveries.attempts, delivery.attempts), eq(webhookDeliveries.status, "pending")));
}
