import { createRoute, z } from "@hono/zod-openapi";
import { and, count, eq } from "drizzle-orm";
import { webhookDeliveries, webhooks } from "../db/schema";
import { encryptSecret } from "../lib/crypto";
import { badRequest, conflict } from "../lib/errors";
import { newId } from "../lib/ids";
import { createRouter, errorResponses, IdParam, json, PageQuery, pageOf } from "../lib/openapi";
import { pageOrder, pageWhere, toPage } from "../lib/pagination";
import { isWebhookEvent, WEBHOOK_EVENTS } from "../webhooks/events";
import { withDeliveryId } from "../webhooks/payload";
import { isInternalHost } from "../webhooks/internal-host";
import { generateWebhookSecret, getDelivery, getWebhook, sendDeliveries, webhookSecretContext, type DeliveryRow, type WebhookRow } from "../webhooks/store";

/** Webhooks per tenant: each finished run fans out to every one, so the fan-out stays bounded. */
export const MAX_WEBHOOKS_PER_TENANT = 25;

const WebhookView = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(z.enum(WEBHOOK_EVENTS)),
    active: z.boolean(),
    createdAt: z.number(),
    updatedAt: z.number(),
  })
  .openapi("Webhook");
const CreatedWebhook = WebhookView.extend({
  secret: z.string().openapi({ description: "Signing secret (`whsec_…`), shown once: store it now." }),
}).openapi("CreatedWebhook");

const DeliveryView = z
  .object({
    id: z.string(),
    webhookId: z.string(),
    event: z.string(),
    status: z.enum(["pending", "succeeded", "failed"]),
    attempts: z.number(),
    lastStatusCode: z.number().nullable(),
    lastError: z.string().nullable(),
    nextAttemptAt: z.number().nullable(),
    payload: z.unknown().openapi({ description: "The JSON body as sent (docs/webhooks.md)." }),
    createdAt: z.number(),
    updatedAt: z.number(),
  })
  .openapi("WebhookDelivery");

// url and events are checked in the handlers, to answer with codes of their own (INVALID_URL, INVALID_EVENTS).
const WebhookCreate = z.object({ url: z.string().max(2048), events: z.array(z.string().max(64)).max(20) }).openapi("WebhookCreate");
const WebhookUpdate = z
  .object({ url: z.string().max(2048).optional(), events: z.array(z.string().max(64)).max(20).optional(), active: z.boolean().optional() })
  .openapi("WebhookUpdate");
const DeliveryParams = IdParam.extend({ deliveryId: z.string().min(1).max(64).openapi({ param: { name: "deliveryId", in: "path" } }) });

const view = (r: WebhookRow) => ({ id: r.id, url: r.url, events: r.events as (typeof WEBHOOK_EVENTS)[number][], active: r.active, createdAt: r.createdAt, updatedAt: r.updatedAt });
const deliveryView = (d: DeliveryRow) => ({
  id: d.id,
  webhookId: d.webhookId,
  event: d.event,
  status: d.status as "pending" | "succeeded" | "failed",
  attempts: d.attempts,
  lastStatusCode: d.lastStatusCode,
  lastError: d.lastError,
  nextAttemptAt: d.nextAttemptAt,
  payload: JSON.parse(d.payload) as unknown,
  createdAt: d.createdAt,
  updatedAt: d.updatedAt,
});

/**
 * An absolute http(s) URL without credentials (the URL is stored and shown in clear; the signature
 * authenticates). In production, not one naming this machine or a private network (isInternalHost); the
 * local stack and tests post to receivers on localhost.
 */
function checkUrl(raw: string, environment: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw badRequest("INVALID_URL", "The webhook URL must be an absolute http:// or https:// URL.");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw badRequest("INVALID_URL", "The webhook URL must use http or https.");
  if (url.username || url.password) throw badRequest("INVALID_URL", "The webhook URL must not carry credentials; verify the DTaaS-Signature header instead.");
  if (environment === "production" && isInternalHost(url.hostname)) {
    throw badRequest("INVALID_URL", "The webhook URL must be reachable from the internet, not a local or private-network address.");
  }
  return url.toString();
}

function checkEvents(events: string[]): string[] {
  const unknown = events.filter((e) => !isWebhookEvent(e));
  if (unknown.length) throw badRequest("INVALID_EVENTS", `Unknown event ${unknown.map((e) => `"${e}"`).join(", ")}; known: ${WEBHOOK_EVENTS.join(", ")}.`, { unknown, known: WEBHOOK_EVENTS });
  if (events.length === 0) throw badRequest("INVALID_EVENTS", "Subscribe to at least one event.", { known: WEBHOOK_EVENTS });
  return [...new Set(events)];
}

export const webhookRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/webhooks",
      tags: ["webhooks"],
      request: { body: { content: { "application/json": { schema: WebhookCreate } }, required: true } },
      responses: { 201: json(CreatedWebhook, "Created; the secret is shown once"), 409: json(z.any(), "Too many webhooks"), ...errorResponses },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const tenantId = c.var.principal.tenantId;
      const url = checkUrl(body.url, c.env.ENVIRONMENT);
      const events = checkEvents(body.events);
      const [existing] = await c.var.db.select({ n: count() }).from(webhooks).where(eq(webhooks.tenantId, tenantId));
      if ((existing?.n ?? 0) >= MAX_WEBHOOKS_PER_TENANT) throw conflict("WEBHOOK_LIMIT_REACHED", `A tenant can have at most ${MAX_WEBHOOKS_PER_TENANT} webhooks.`);
      const id = newId("whk");
      const secret = generateWebhookSecret();
      const now = Date.now();
      const row: WebhookRow = {
        id,
        tenantId,
        url,
        events,
        secretCiphertext: await encryptSecret(c.env.ENCRYPTION_KEY, secret, webhookSecretContext(id)),
        active: true,
        createdAt: now,
        updatedAt: now,
      };
      await c.var.db.insert(webhooks).values(row);
      return c.json({ ...view(row), secret }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/webhooks",
      tags: ["webhooks"],
      request: { query: PageQuery },
      responses: { 200: json(pageOf(WebhookView), "The tenant's webhooks, newest first"), ...errorResponses },
    }),
    async (c) => {
      const page = c.req.valid("query");
      const rows = await c.var.db
        .select()
        .from(webhooks)
        .where(and(eq(webhooks.tenantId, c.var.principal.tenantId), pageWhere(webhooks, page)))
        .orderBy(...pageOrder(webhooks))
        .limit(page.limit + 1);
      return c.json(toPage(rows, page, view), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/webhooks/{id}",
      tags: ["webhooks"],
      request: { params: IdParam },
      responses: { 200: json(WebhookView, "The webhook"), ...errorResponses },
    }),
    async (c) => c.json(view(await getWebhook(c.var.db, c.var.principal.tenantId, c.req.valid("param").id)), 200),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/webhooks/{id}",
      tags: ["webhooks"],
      request: { params: IdParam, body: { content: { "application/json": { schema: WebhookUpdate } }, required: true } },
      responses: { 200: json(WebhookView, "Updated"), ...errorResponses },
    }),
    async (c) => {
      const tenantId = c.var.principal.tenantId;
      const row = await getWebhook(c.var.db, tenantId, c.req.valid("param").id);
      const body = c.req.valid("json");
      const changes = {
        ...(body.url !== undefined ? { url: checkUrl(body.url, c.env.ENVIRONMENT) } : {}),
        ...(body.events !== undefined ? { events: checkEvents(body.events) } : {}),
        ...(body.active !== undefined ? { active: body.active } : {}),
        updatedAt: Date.now(),
      };
      await c.var.db.update(webhooks).set(changes).where(and(eq(webhooks.id, row.id), eq(webhooks.tenantId, tenantId)));
      return c.json(view({ ...row, ...changes }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/webhooks/{id}",
      tags: ["webhooks"],
      request: { params: IdParam },
      responses: { 204: { description: "Deleted, with its deliveries; queued attempts are dropped" }, ...errorResponses },
    }),
    async (c) => {
      const tenantId = c.var.principal.tenantId;
      const row = await getWebhook(c.var.db, tenantId, c.req.valid("param").id);
      await c.var.db.delete(webhooks).where(and(eq(webhooks.id, row.id), eq(webhooks.tenantId, tenantId)));
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/webhooks/{id}/deliveries",
      tags: ["webhooks"],
      request: { params: IdParam, query: PageQuery },
      responses: { 200: json(pageOf(DeliveryView), "The webhook's deliveries, newest first"), ...errorResponses },
    }),
    async (c) => {
      const tenantId = c.var.principal.tenantId;
      const hook = await getWebhook(c.var.db, tenantId, c.req.valid("param").id);
      const page = c.req.valid("query");
      const rows = await c.var.db
        .select()
        .from(webhookDeliveries)
        .where(and(eq(webhookDeliveries.tenantId, tenantId), eq(webhookDeliveries.webhookId, hook.id), pageWhere(webhookDeliveries, page)))
        .orderBy(...pageOrder(webhookDeliveries))
        .limit(page.limit + 1);
      return c.json(toPage(rows, page, deliveryView), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/webhooks/{id}/deliveries/{deliveryId}/redeliver",
      tags: ["webhooks"],
      request: { params: DeliveryParams },
      responses: { 202: json(DeliveryView, "A new delivery of the same payload, queued"), 409: json(z.any(), "Webhook inactive"), ...errorResponses },
    }),
    async (c) => {
      const tenantId = c.var.principal.tenantId;
      const { id, deliveryId } = c.req.valid("param");
      const hook = await getWebhook(c.var.db, tenantId, id);
      const original = await getDelivery(c.var.db, tenantId, hook.id, deliveryId);
      if (!hook.active) throw conflict("WEBHOOK_INACTIVE", "The webhook is inactive; activate it first.");
      const now = Date.now();
      const newIdValue = newId("whd");
      const row: DeliveryRow = {
        id: newIdValue,
        webhookId: hook.id,
        tenantId,
        event: original.event,
        payload: withDeliveryId(original.payload, newIdValue),
        status: "pending",
        attempts: 0,
        lastStatusCode: null,
        lastError: null,
        nextAttemptAt: now,
        createdAt: now,
        updatedAt: now,
      };
      await c.var.db.insert(webhookDeliveries).values(row);
      await sendDeliveries(c.env, [row.id]);
      return c.json(deliveryView(row), 202);
    },
  );
