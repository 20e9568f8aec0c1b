import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, inArray } from "drizzle-orm";
import { TableSelection, TaskMode, TaskOptions, Variables } from "../../../engine/task-config";
import type { Database } from "../db/client";
import { connectors, runs, tasks } from "../db/schema";
import { badRequest, conflict, isUniqueViolation, notFound } from "../lib/errors";
import { newId } from "../lib/ids";
import { createRouter, errorResponses, IdParam, json, PageQuery, pageOf } from "../lib/openapi";
import { pageOrder, pageWhere, toPage } from "../lib/pagination";
import { runSummaryView, RunSummaryView, type RunRow, type TaskRow } from "../tasks/views";

const TaskCreate = z
  .object({
    name: z.string().trim().min(1).max(100),
    sourceId: z.string().min(1).max(64),
    targetId: z.string().min(1).max(64),
    mode: TaskMode.default("full_load"),
    tables: TableSelection.default({ include: ["public.*"], exclude: [], filters: {} }),
    options: TaskOptions.default(TaskOptions.parse({})),
    variables: Variables.default({}),
  })
  .strict()
  .openapi("TaskCreate");

const TaskUpdate = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    sourceId: z.string().min(1).max(64).optional(),
    targetId: z.string().min(1).max(64).optional(),
    mode: TaskMode.optional(),
    tables: TableSelection.optional(),
    options: TaskOptions.partial().optional(),
    variables: Variables.optional(),
  })
  .strict()
  .openapi("TaskUpdate");

const TaskView = z
  .object({
    id: z.string(),
    name: z.string(),
    sourceId: z.string(),
    targetId: z.string(),
    mode: TaskMode,
    tables: TableSelection,
    options: TaskOptions,
    variables: z.record(z.string(), z.string()),
    latestRun: RunSummaryView.nullable(),
    createdAt: z.number(),
    updatedAt: z.number(),
  })
  .openapi("Task");

const view = (t: TaskRow, latest: RunRow | null | undefined) => ({
  id: t.id,
  name: t.name,
  sourceId: t.sourceId,
  targetId: t.targetId,
  mode: t.mode,
  tables: t.tables as TableSelection,
  options: t.options as TaskOptions,
  variables: t.variables as Record<string, string>,
  latestRun: latest ? runSummaryView(latest) : null,
  createdAt: t.createdAt,
  updatedAt: t.updatedAt,
});

export async function getTask(db: Database, tenantId: string, id: string): Promise<TaskRow> {
  const row = await db.query.tasks.findFirst({ where: and(eq(tasks.id, id), eq(tasks.tenantId, tenantId)) });
  if (!row) throw notFound("Task");
  return row;
}

async function latestRun(db: Database, tenantId: string, taskId: string) {
  return db.query.runs.findFirst({ where: and(eq(runs.tenantId, tenantId), eq(runs.taskId, taskId)), orderBy: [desc(runs.createdAt), desc(runs.id)] });
}

/** Source and target must be two of this tenant's connectors. */
async function checkConnectors(db: Database, tenantId: string, sourceId: string, targetId: string) {
  if (sourceId === targetId) throw badRequest("SAME_SOURCE_AND_TARGET", "Source and target must be different connectors.");
  const found = await db
    .select({ id: connectors.id })
    .from(connectors)
    .where(and(eq(connectors.tenantId, tenantId), inArray(connectors.id, [sourceId, targetId])));
  for (const [id, role] of [[sourceId, "source"], [targetId, "target"]] as const) {
    if (!found.some((f) => f.id === id)) throw badRequest("UNKNOWN_CONNECTOR", `The ${role} connector ${id} does not exist.`);
  }
}

const nameTaken = () => conflict("NAME_TAKEN", "A task with this name exists.");

export const taskRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/tasks",
      tags: ["tasks"],
      request: { body: { content: { "application/json": { schema: TaskCreate } }, required: true } },
      responses: { 201: json(TaskView, "Created"), 409: json(z.any(), "Name taken"), ...errorResponses },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const tenantId = c.var.principal.tenantId;
      await checkConnectors(c.var.db, tenantId, body.sourceId, body.targetId);
      const now = Date.now();
      const row: TaskRow = { id: newId("tsk"), tenantId, ...body, createdAt: now, updatedAt: now };
      try {
        await c.var.db.insert(tasks).values(row);
      } catch (e) {
        if (isUniqueViolation(e)) throw nameTaken();
        throw e;
      }
      return c.json(view(row, null), 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/tasks",
      tags: ["tasks"],
      request: { query: PageQuery },
      responses: { 200: json(pageOf(TaskView), "The tenant's tasks with their latest run, newest first"), ...errorResponses },
    }),
    async (c) => {
      const page = c.req.valid("query");
      const tenantId = c.var.principal.tenantId;
      const rows = await c.var.db
        .select()
        .from(tasks)
        .where(and(eq(tasks.tenantId, tenantId), pageWhere(tasks, page)))
        .orderBy(...pageOrder(tasks))
        .limit(page.limit + 1);
      const result = toPage(rows, page, (t) => t);
      const latest = await Promise.all(result.items.map((t) => latestRun(c.var.db, tenantId, t.id)));
      return c.json({ items: result.items.map((t, i) => view(t, latest[i])), nextCursor: result.nextCursor }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/tasks/{id}",
      tags: ["tasks"],
      request: { params: IdParam },
      responses: { 200: json(TaskView, "The task"), ...errorResponses },
    }),
    async (c) => {
      const tenantId = c.var.principal.tenantId;
      const task = await getTask(c.var.db, tenantId, c.req.valid("param").id);
      return c.json(view(task, await latestRun(c.var.db, tenantId, task.id)), 200);
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/tasks/{id}",
      tags: ["tasks"],
      request: { params: IdParam, body: { content: { "application/json": { schema: TaskUpdate } }, required: true } },
      responses: { 200: json(TaskView, "Updated"), 409: json(z.any(), "Name taken or task running"), ...errorResponses },
    }),
    async (c) => {
      const tenantId = c.var.principal.tenantId;
      const task = await getTask(c.var.db, tenantId, c.req.valid("param").id);
      const body = c.req.valid("json");
      const latest = await latestRun(c.var.db, tenantId, task.id);
      if (latest && (latest.status === "queued" || latest.status === "running")) {
        throw conflict("TASK_RUNNING", "Stop the task before changing it.");
      }
      const sourceId = body.sourceId ?? task.sourceId;
      const targetId = body.targetId ?? task.targetId;
      if (body.sourceId || body.targetId) await checkConnectors(c.var.db, tenantId, sourceId, targetId);
      const options = body.options ? TaskOptions.parse({ ...(task.options as TaskOptions), ...body.options }) : task.options;
      const changes = {
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.mode !== undefined ? { mode: body.mode } : {}),
        ...(body.tables !== undefined ? { tables: body.tables } : {}),
        ...(body.variables !== undefined ? { variables: body.variables } : {}),
        sourceId,
        targetId,
        options,
        updatedAt: Date.now(),
      };
      try {
        await c.var.db.update(tasks).set(changes).where(and(eq(tasks.id, task.id), eq(tasks.tenantId, tenantId)));
      } catch (e) {
        if (isUniqueViolation(e)) throw nameTaken();
        throw e;
      }
      return c.json(view({ ...task, ...changes }, latest), 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/tasks/{id}",
      tags: ["tasks"],
      request: { params: IdParam },
      responses: { 204: { description: "Deleted with its runs" }, 409: json(z.any(), "Task running"), ...errorResponses },
    }),
    async (c) => {
      const tenantId = c.var.principal.tenantId;
      const task = await getTask(c.var.db, tenantId, c.req.valid("param").id);
      const latest = await latestRun(c.var.db, tenantId, task.id);
      if (latest && (latest.status === "queued" || latest.status === "running")) {
        throw conflict("TASK_RUNNING", "Stop the task before deleting it.");
      }
      const released = await c.env.TASK_COORDINATOR.get(c.env.TASK_COORDINATOR.idFromName(task.id)).release();
      if (!released.ok) throw conflict(released.code, released.message);
      await c.var.db.delete(tasks).where(and(eq(tasks.id, task.id), eq(tasks.tenantId, tenantId)));
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/tasks/{id}/runs",
      tags: ["runs"],
      request: { params: IdParam, query: PageQuery },
      responses: { 200: json(pageOf(RunSummaryView), "The task's runs, newest first"), ...errorResponses },
    }),
    async (c) => {
      const tenantId = c.var.principal.tenantId;
      const task = await getTask(c.var.db, tenantId, c.req.valid("param").id);
      const page = c.req.valid("query");
      const rows = await c.var.db
        .select()
        .from(runs)
        .where(and(eq(runs.tenantId, tenantId), eq(runs.taskId, task.id), pageWhere(runs, page)))
        .orderBy(...pageOrder(runs))
        .limit(page.limit + 1);
      return c.json(toPage(rows, page, runSummaryView), 200);
    },
  );
