/**
 * Pure helpers of the webhooks pages: the event catalogue, the create form's checks (the same rules as
 * the worker's checkUrl/checkEvents, so most mistakes are caught before a round trip; the server stays
 * the authority), and delivery paging and wording.
 */
import type { DeliveryStatus, WebhookDelivery, WebhookEvent } from "./api/types";

/**
 * Every event a webhook can subscribe to, with what it means. Keyed by the worker's WebhookEvent type, so
 * an event added there fails `check:web` until it is described here (and one removed there, too).
 */
export const EVENT_INFO: Record<WebhookEvent, string> = {
  "run.succeeded": "A run finished and every table was copied.",
  "run.failed": "A run ended with an error.",
  "run.stopped": "A run was stopped by a user or the API.",
  "validation.failed": "A run failed validation: source and target differ (sent besides run.failed).",
  "cdc.lag_exceeded": "Change capture fell behind the task's lag threshold (again after it recovered).",
};

/** In the API's order (worker/src/webhooks/events.ts): object keys keep insertion order. */
export const WEBHOOK_EVENTS = Object.keys(EVENT_INFO) as WebhookEvent[];

export interface WebhookFormErrors {
  url?: string;
  events?: string;
}

/** Field errors of the create form, or null when it may be sent. Mirrors the worker's checks. */
export function checkWebhookForm(url: string, events: readonly string[]): WebhookFormErrors | null {
  const errors: WebhookFormErrors = {};
  const raw = url.trim();
  let parsed: URL | null = null;
  try {
    parsed = new URL(raw);
  } catch {
    errors.url = raw ? "Enter an absolute URL, e.g. https://example.com/hooks/dtaas." : "Enter the URL that receives the events.";
  }
  if (parsed) {
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") errors.url = "The URL must start with https:// or http://.";
    else if (parsed.username || parsed.password) errors.url = "Leave credentials out of the URL; verify the DTaaS-Signature header instead.";
  }
  if (events.length === 0) errors.events = "Pick at least one event.";
  return errors.url || errors.events ? errors : null;
}

/** Appends a further page of deliveries, dropping any already shown (a redelivery prepended meanwhile). */
export function appendPage<T extends { id: string }>(shown: readonly T[], next: readonly T[]): T[] {
  const seen = new Set(shown.map((d) => d.id));
  return [...shown, ...next.filter((d) => !seen.has(d.id))];
}

/** A status for StatusBadge, whose tones know succeeded/failed; "pending" reads as in progress. */
export function deliveryBadge(status: DeliveryStatus): { status: string; label: string } {
  return status === "pending" ? { status: "queued", label: "pending" } : { status, label: status };
}

/** "HTTP 500", "no answer" (network error or timeout: no status), or "–" before the first attempt. */
export function lastAnswer(d: Pick<WebhookDelivery, "attempts" | "lastStatusCode">): string {
  if (d.lastStatusCode !== null) return `HTTP ${d.lastStatusCode}`;
  return d.attempts > 0 ? "no answer" : "–";
}
