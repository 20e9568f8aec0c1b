import { createRoute, z } from "@hono/zod-openapi";
import { and, asc, eq, gt } from "drizzle-orm";
import { AppError } from "../../../engine/errors/app-error";
import { resolveFilters, targetRefFor } from "../../../engine/plan/variables";
import { TableSelection, TaskOptions, Variables } from "../../../engine/task-config";
import type { RunSpec } from "../../../durable-objects/task-coordinator/run-spec";
import { isAppError } from "../../../engine/errors/app-error";
import { classifyError } from "../../../engine/errors/classify";
import { connectorUrl, getConnector } from "../connectors/store";
import { runLogs, runs, runTables } from "../db/schema";
import { validateTables } from "../runs/validate";
import { conflict } from "../lib/errors";
import { newId } from "../lib/ids";
import { createRouter, errorResponses, IdParam, json } from "../lib/openapi";
import { getRun } from "./runs";
import { getTask } from "./tasks";

const StartBody = z.object({ variables: Variables.optional() }).strict().openapi("StartRequest");

const LogLine = z.object({ id: z.number(), time: z.number(), level: z.string(), message: z.string(), fields: z.unknown().nullable() }).openapi("RunLogLine");

const LogQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(200).openapi({ param: { name: "limit", in: "query" } }),
  cursor: z.string().regex(/^\d+$/).optional().openapi({ param: { name: "cursor", in: "query" }, description: "The `nextCursor` of the previous page." }),
});

/** Fails fast (400 VARIABLE_UNDEFINED) when a name template or row filter names a variable nobody set. */
function checkVariables(selection: TableSelection, options: TaskOptions, variables: Record<string, string>) {
  targetRefFor({ schema: "schema", name: "table" }, options, variables);
  for (const filters of Object.values(selection.filters)) resolveFilters(filters, variables);
}

const coordinatorOf = (env: Env, taskId: string) => env.TASK_COORDINATOR.get(env.TASK_COORDINATOR.idFromName(taskId));

export const taskRunRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/tasks/{id}/start",
      tags: ["runs"],
      request: { params: IdParam, body: { content: { "application/json": { schema: StartBody } }, required: false } },
      responses: { 202: json(z.object({ runId: z.string() }), "The run was created and is starting"), 409: json(z.any(), "Already running"), ...errorResponses },
    }),
    async (c) => {
      const tenantId = c.var.principal.tenantId;
      const task = await getTask(c.var.db, tenantId, c.req.valid("param").id);
      const body = (c.req.header("content-type")?.includes("json") ? c.req.valid("json") : undefined) ?? {};
      const variables = { ...(task.variables as Record<string, string>), ...(body.variables ?? {}) };
      const selection = task.tables as TableSelection;
      const options = task.options as TaskOptions;
      checkVariables(selection, options, variables);
      const now = Date.now();
      const runId = newId("run");
      await c.var.db.insert(runs).values({
        id: runId,
        tenantId,
        taskId: task.id,
        status: "running",
        phase: "planning",
        mode: task.mode,
        variables,
        createdAt: now,
        startedAt: now,
        updatedAt: now,
      });
      const spec: RunSpec = {
        runId,
        taskId: task.id,
        tenantId,
        mode: task.mode,
        sourceId: task.sourceId,
        targetId: task.targetId,
        selection,
        options,
        variables,
        callbackBase: c.env.RUNNER_CALLBACK_URL || new URL(c.req.url).origin,
      };
      const started = await coordinatorOf(c.env, task.id).start(spec);
      if (!started.ok) {
        await c.var.db.delete(runs).where(and(eq(runs.id, runId), eq(runs.tenantId, tenantId)));
        throw conflict(started.code, started.message);
      }
      return c.json({ runId }, 202);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/tasks/{id}/stop",
      tags: ["runs"],
      request: { params: IdParam },
      responses: { 200: json(z.object({ status: z.string() }), "The run's status after stopping"), 409: json(z.any(), "Nothing to stop"), ...errorResponses },
    }),
    async (c) => {
      const task = await getTask(c.var.db, c.var.principal.tenantId, c.req.valid("param").id);
      const result = await coordinatorOf(c.env, task.id).stop();
      if (!result.ok) throw conflict(result.code, result.message);
      return c.json({ status: result.status }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/runs/{id}/logs",
      tags: ["runs"],
      request: { params: IdParam, query: LogQuery },
      responses: { 200: json(z.object({ items: z.array(LogLine), nextCursor: z.string().nullable() }), "The run's log lines, oldest first"), ...errorResponses },
    }),
    async (c) => {
      const tenantId = c.var.principal.tenantId;
      const run = await getRun(c.var.db, tenantId, c.req.valid("param").id);
      const { limit, cursor } = c.req.valid("query");
      const rows = await c.var.db
        .select()
        .from(runLogs)
        .where(and(eq(runLogs.runId, run.id), eq(runLogs.tenantId, tenantId), cursor ? gt(runLogs.id, Number(cursor)) : undefined))
        .orderBy(asc(runLogs.id))
        .limit(limit + 1);
      const more = rows.length > limit;
      const items = (more ? rows.slice(0, limit) : rows).map((r) => ({ id: r.id, time: r.time, level: r.level, message: r.message, fields: r.fields ?? null }));
      return c.json({ items, nextCursor: more ? String(items[items.length - 1]!.id) : null }, 200);
    },
  );

taskRunRoutes.openapi(
  createRoute({
    method: "post",
    path: "/runs/{id}/validate",
    tags: ["runs"],
    request: { params: IdParam },
    responses: { 200: json(z.any().openapi("ValidationReport"), "Per-table counts and hashes of source and target"), 409: json(z.any(), "Not the task's latest run"), ...errorResponses },
  }),
  async (c) => {
    const tenantId = c.var.principal.tenantId;
    const run = await getRun(c.var.db, tenantId, c.req.valid("param").id);
    const task = await getTask(c.var.db, tenantId, run.taskId);
    const plan = await coordinatorOf(c.env, task.id).validationPlan(run.id);
    if (!plan.ok) throw conflict(plan.code, plan.message);
    const [source, target] = await Promise.all([getConnector(c.var.db, tenantId, task.sourceId), getConnector(c.var.db, tenantId, task.targetId)]);
    const report = await validateTables(run.id, await connectorUrl(c.env, source), await connectorUrl(c.env, target), plan.tables).catch((e: unknown) => {
      throw isAppError(e) ? e : classifyError(e);
    });
    const now = Date.now();
    await c.var.db.batch([
      c.var.db.update(runs).set({ validation: report, updatedAt: now }).where(and(eq(runs.id, run.id), eq(runs.tenantId, tenantId))),
      ...report.tables.map((t, i) =>
        c.var.db
          .update(runTables)
          .set({ validation: t.equal ? "passed" : "failed", updatedAt: now })
          .where(
            and(
              eq(runTables.runId, run.id),
              eq(runTables.tenantId, tenantId),
              eq(runTables.sourceSchema, plan.tables[i]!.table.schema),
              eq(runTables.sourceTable, plan.tables[i]!.table.name),
            ),
          ),
      ),
    ]);
    return c.json(report, 200);
  },
);

/** Progress over a WebSocket (not describable in OpenAPI); the coordinator accepts the socket. */
taskRunRoutes.get("/tasks/:id/events", async (c) => {
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
    throw new AppError("WEBSOCKET_REQUIRED", "Connect with a WebSocket (Upgrade: websocket).", { status: 426 });
  }
  const task = await getTask(c.var.db, c.var.principal.tenantId, c.req.param("id"));
  return coordinatorOf(c.env, task.id).fetch(c.req.raw);
});
