/** Events a webhook can subscribe to. Persisted in `webhooks.events` and sent as `DTaaS-Event`: never rename. */
export const WEBHOOK_EVENTS = ["run.succeeded", "run.failed", "run.stopped", "validation.failed", "cdc.lag_exceeded"] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export const isWebhookEvent = (e: string): e is WebhookEvent => (WEBHOOK_EVENTS as readonly string[]).includes(e);

/** Deliveries: `pending` (queued or waiting for a retry), then `succeeded` or `failed` (attempts exhausted). */
export type DeliveryStatus = "pending" | "succeeded" | "failed";
