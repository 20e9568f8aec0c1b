import { createRoute, z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { generateApiKey } from "../auth/api-keys";
import { apiKeys } from "../db/schema";
import { sha256Hex } from "../lib/crypto";
import { notFound } from "../lib/errors";
import { newId } from "../lib/ids";
import { createRouter, errorResponses, IdParam, json, PageQuery, pageOf } from "../lib/openapi";
import { pageOrder, pageWhere, toPage } from "../lib/pagination";

const ApiKeyView = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().openapi({ description: "The first characters of the key, to recognise it." }),
    createdAt: z.number(),
    lastUsedAt: z.number().nullable(),
    revokedAt: z.number().nullable(),
  })
  .openapi("ApiKey");
const CreatedApiKey = ApiKeyView.extend({ key: z.string().openapi({ description: "Shown once; store it now." }) }).openapi("CreatedApiKey");

type Row = typeof apiKeys.$inferSelect;
const view = (k: Row) => ({ id: k.id, name: k.name, prefix: k.prefix, createdAt: k.createdAt, lastUsedAt: k.lastUsedAt, revokedAt: k.revokedAt });

export const apiKeyRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/api-keys",
      tags: ["api-keys"],
      request: { body: { content: { "application/json": { schema: z.object({ name: z.string().trim().min(1).max(100) }) } }, required: true } },
      responses: { 201: json(CreatedApiKey, "The new key, shown once"), ...errorResponses },
    }),
    async (c) => {
      const { name } = c.req.valid("json");
      const key = generateApiKey();
      const row: Row = {
        id: newId("key"),
        tenantId: c.var.principal.tenantId,
        name,
        keyHash: await sha256Hex(key),
        prefix: key.slice(0, 12),
        createdAt: Date.now(),
        lastUsedAt: null,
        revokedAt: null,
      };
      await c.var.db.insert(apiKeys).values(row);
      return c.json({ ...view(row), key }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/api-keys",
      tags: ["api-keys"],
      request: { query: PageQuery },
      responses: { 200: json(pageOf(ApiKeyView), "The tenant's keys, newest first"), ...errorResponses },
    }),
    async (c) => {
      const page = c.req.valid("query");
      const rows = await c.var.db
        .select()
        .from(apiKeys)
        .where(and(eq(apiKeys.tenantId, c.var.principal.tenantId), pageWhere(apiKeys, page)))
        .orderBy(...pageOrder(apiKeys))
        .limit(page.limit + 1);
      return c.json(toPage(rows, page, view), 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/api-keys/{id}",
      tags: ["api-keys"],
      request: { params: IdParam },
      responses: { 204: { description: "Revoked; it stops working at once" }, ...errorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const where = and(eq(apiKeys.id, id), eq(apiKeys.tenantId, c.var.principal.tenantId));
      const found = await c.var.db.query.apiKeys.findFirst({ where });
      if (!found) throw notFound("API key");
      if (!found.revokedAt) await c.var.db.update(apiKeys).set({ revokedAt: Date.now() }).where(where);
      return c.body(null, 204);
    },
  );
