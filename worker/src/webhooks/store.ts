import { and, eq } from "drizzle-orm";
import type { Database } from "../db/client";
import { webhookDeliveries, webhooks } from "../db/schema";
import { decryptSecret, randomToken } from "../lib/crypto";
import { notFound } from "../lib/errors";

export type WebhookRow = typeof webhooks.$inferSelect;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;

/** Additional data bound into the ciphertext: a webhook's secret decrypts only on its own row. */
export const webhookSecretContext = (id: string) => `webhook:${id}`;

export const generateWebhookSecret = () => `whsec_${randomToken(24)}`;

export function webhookSecret(env: Env, row: WebhookRow): Promise<string> {
  return decryptSecret(env.ENCRYPTION_KEY, row.secretCiphertext, webhookSecretContext(row.id));
}

export async function getWebhook(db: Database, tenantId: string, id: string): Promise<WebhookRow> {
  const row = await db.query.webhooks.findFirst({ where: and(eq(webhooks.id, id), eq(webhooks.tenantId, tenantId)) });
  if (!row) throw notFound("Webhook");
  return row;
}

export async function getDelivery(db: Database, tenantId: string, webhookId: string, id: string): Promise<DeliveryRow> {
  const row = await db.query.webhookDeliveries.findFirst({
    where: and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.webhookId, webhookId), eq(webhookDeliveries.tenantId, tenantId)),
  });
  if (!row) throw notFound("Delivery");
  return row;
}

/** The queue message: only the delivery id; the payload waits in D1 (webhook_deliveries.payload). */
export interface WebhookMessage {
  deliveryId: string;
}

export async function sendDeliveries(env: Env, ids: string[]): Promise<void> {
  if (ids.length) await env.WEBHOOK_QUEUE.sendBatch(ids.map((deliveryId) => ({ body: { deliveryId } satisfies WebhookMessage })));
}
