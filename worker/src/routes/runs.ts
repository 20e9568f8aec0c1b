import { createRoute } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import type { Database } from "../db/client";
import { runs, runTables } from "../db/schema";
import { notFound } from "../lib/errors";
import { createRouter, errorResponses, IdParam, json } from "../lib/openapi";
import { RunView, runView, type RunRow } from "../tasks/views";

export async function getRun(db: Database, tenantId: string, id: string): Promise<RunRow> {
  const row = await db.query.runs.findFirst({ where: and(eq(runs.id, id), eq(runs.tenantId, tenantId)) });
  if (!row) throw notFound("Run");
  return row;
}

export const runRoutes = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/runs/{id}",
    tags: ["runs"],
    request: { params: IdParam },
    responses: { 200: json(RunView, "Status, phase, per-table progress, totals, error, CDC lag"), ...errorResponses },
  }),
  async (c) => {
    const tenantId = c.var.principal.tenantId;
    const run = await getRun(c.var.db, tenantId, c.req.valid("param").id);
    const tables = await c.var.db
      .select()
      .from(runTables)
      .where(and(eq(runTables.runId, run.id), eq(runTables.tenantId, tenantId)))
      .orderBy(runTables.sourceSchema, runTables.sourceTable);
    return c.json(runView(run, tables), 200);
  },
);
