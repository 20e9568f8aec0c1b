import { createRoute, z } from "@hono/zod-openapi";
import { and, eq, or } from "drizzle-orm";
import { runQuery } from "../../../engine/browse/run-query";
import { listTables } from "../../../engine/catalog/discover";
import { isAppError } from "../../../engine/errors/app-error";
import { classifyError } from "../../../engine/errors/classify";
import { TableInfoSchema } from "../../../engine/jobs/protocol";
import { checkConnection } from "../../../engine/readiness/check";
import { buildConnectionUrl, maskConnectionUrl, parseConnectionUrl, type ConnectionParts } from "../connectors/connection-url";
import { ConnectorCreate, ConnectorUpdate, resolveConnection } from "../connectors/input";
import { connectorSecretContext, connectorUrl, getConnector, withConnector, type ConnectorRow } from "../connectors/store";
import { connectors, tasks } from "../db/schema";
import { encryptSecret } from "../lib/crypto";
import { conflict, isUniqueViolation } from "../lib/errors";
import { newId } from "../lib/ids";
import { createRouter, errorResponses, IdParam, json, PageQuery, pageOf } from "../lib/openapi";
import { pageOrder, pageWhere, toPage } from "../lib/pagination";

const ConnectorView = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(["postgres", "neon"]),
    url: z.string().openapi({ description: "The connection URL with the password masked." }),
    host: z.string(),
    port: z.number(),
    database: z.string(),
    user: z.string(),
    createdAt: z.number(),
    updatedAt: z.number(),
  })
  .openapi("Connector");

const view = (r: ConnectorRow) => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  url: r.displayUrl,
  host: r.host,
  port: r.port,
  database: r.database,
  user: r.username,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

const columnsFor = async (env: Env, id: string, parts: ConnectionParts) => ({
  host: parts.host,
  port: parts.port,
  database: parts.database,
  username: parts.user,
  displayUrl: maskConnectionUrl(parts),
  urlCiphertext: await encryptSecret(env.ENCRYPTION_KEY, buildConnectionUrl(parts), connectorSecretContext(id)),
});

const nameTaken = () => conflict("NAME_TAKEN", "A connector with this name exists.");

const QueryBody = z
  .object({
    sql: z.string().min(1).max(100_000),
    limit: z.number().int().min(1).max(1000).default(100),
  })
  .openapi("BrowserQuery");

export const connectorRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/connectors",
      tags: ["connectors"],
      request: { body: { content: { "application/json": { schema: ConnectorCreate } }, required: true } },
      responses: { 201: json(ConnectorView, "Created"), 409: json(z.any(), "Name taken"), ...errorResponses },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const parts = resolveConnection(body, null)!;
      const now = Date.now();
      const id = newId("con");
      const row: ConnectorRow = {
        id,
        tenantId: c.var.principal.tenantId,
        name: body.name,
        kind: body.kind,
        ...(await columnsFor(c.env, id, parts)),
        createdAt: now,
        updatedAt: now,
      };
      try {
        await c.var.db.insert(connectors).values(row);
      } catch (e) {
        if (isUniqueViolation(e)) throw nameTaken();
        throw e;
      }
      return c.json(view(row), 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/connectors",
      tags: ["connectors"],
      request: { query: PageQuery },
      responses: { 200: json(pageOf(ConnectorView), "The tenant's connectors, newest first"), ...errorResponses },
    }),
    async (c) => {
      const page = c.req.valid("query");
      const rows = await c.var.db
        .select()
        .from(connectors)
        .where(and(eq(connectors.tenantId, c.var.principal.tenantId), pageWhere(connectors, page)))
        .orderBy(...pageOrder(connectors))
        .limit(page.limit + 1);
      return c.json(toPage(rows, page, view), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/connectors/{id}",
      tags: ["connectors"],
      request: { params: IdParam },
      responses: { 200: json(ConnectorView, "The connector"), ...errorResponses },
    }),
    async (c) => c.json(view(await getConnector(c.var.db, c.var.principal.tenantId, c.req.valid("param").id)), 200),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/connectors/{id}",
      tags: ["connectors"],
      request: { params: IdParam, body: { content: { "application/json": { schema: ConnectorUpdate } }, required: true } },
      responses: { 200: json(ConnectorView, "Updated"), 409: json(z.any(), "Name taken"), ...errorResponses },
    }),
    async (c) => {
      const tenantId = c.var.principal.tenantId;
      const row = await getConnector(c.var.db, tenantId, c.req.valid("param").id);
      const body = c.req.valid("json");
      const current = parseConnectionUrl(await connectorUrl(c.env, row));
      const parts = resolveConnection(body, current);
      const changes = {
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(parts ? await columnsFor(c.env, row.id, parts) : {}),
        updatedAt: Date.now(),
      };
      try {
        await c.var.db.update(connectors).set(changes).where(and(eq(connectors.id, row.id), eq(connectors.tenantId, tenantId)));
      } catch (e) {
        if (isUniqueViolation(e)) throw nameTaken();
        throw e;
      }
      return c.json(view({ ...row, ...changes }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/connectors/{id}",
      tags: ["connectors"],
      request: { params: IdParam },
      responses: { 204: { description: "Deleted" }, 409: json(z.any(), "Used by a task"), ...errorResponses },
    }),
    async (c) => {
      const tenantId = c.var.principal.tenantId;
      const row = await getConnector(c.var.db, tenantId, c.req.valid("param").id);
      const user = await c.var.db.query.tasks.findFirst({
        where: and(eq(tasks.tenantId, tenantId), or(eq(tasks.sourceId, row.id), eq(tasks.targetId, row.id))),
      });
      if (user) throw conflict("CONNECTOR_IN_USE", `Task "${user.name}" uses this connector; delete or change the task first.`);
      await c.var.db.delete(connectors).where(and(eq(connectors.id, row.id), eq(connectors.tenantId, tenantId)));
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/connectors/{id}/test",
      tags: ["connectors"],
      request: { params: IdParam },
      responses: { 200: json(z.any().openapi("ConnectionTest"), "The test result: `ok`, or `error` with its code"), ...errorResponses },
    }),
    async (c) => {
      const row = await getConnector(c.var.db, c.var.principal.tenantId, c.req.valid("param").id);
      try {
        const report = await withConnector(c.env, row, (db) => checkConnection(db));
        return c.json({ ok: true, ...report }, 200);
      } catch (e) {
        const err = isAppError(e) ? e : classifyError(e);
        c.var.log.info("connection test failed", { connectorId: row.id, code: err.code });
        return c.json({ ok: false, error: { code: err.code, message: err.message } }, 200);
      }
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/connectors/{id}/tables",
      tags: ["connectors"],
      request: { params: IdParam },
      responses: { 200: json(z.object({ items: z.array(TableInfoSchema.openapi("TableInfo")) }).openapi("TableList"), "Tables with columns and keys"), ...errorResponses },
    }),
    async (c) => {
      const row = await getConnector(c.var.db, c.var.principal.tenantId, c.req.valid("param").id);
      const items = await withConnector(c.env, row, (db) => listTables(db));
      return c.json({ items }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/connectors/{id}/query",
      tags: ["connectors"],
      request: { params: IdParam, body: { content: { "application/json": { schema: QueryBody } }, required: true } },
      responses: { 200: json(z.any().openapi("QueryResult"), "Rows of a read-only query"), ...errorResponses },
    }),
    async (c) => {
      const row = await getConnector(c.var.db, c.var.principal.tenantId, c.req.valid("param").id);
      const { sql, limit } = c.req.valid("json");
      const result = await withConnector(c.env, row, (db) => runQuery(db, sql, { limit }));
      return c.json(result, 200);
    },
  );
