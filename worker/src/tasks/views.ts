import { z } from "@hono/zod-openapi";
import type { runs, runTables, tasks } from "../db/schema";

export type TaskRow = typeof tasks.$inferSelect;
export type RunRow = typeof runs.$inferSelect;
export type RunTableRow = typeof runTables.$inferSelect;

export const RunStatus = z.enum(["queued", "running", "succeeded", "failed", "stopped"]);

export const RunSummaryView = z
  .object({
    id: z.string(),
    taskId: z.string(),
    status: RunStatus,
    phase: z.string(),
    mode: z.string(),
    rowsCopied: z.number(),
    bytesCopied: z.number(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    createdAt: z.number(),
    startedAt: z.number().nullable(),
    finishedAt: z.number().nullable(),
  })
  .openapi("RunSummary");

export const RunTableView = z
  .object({
    sourceSchema: z.string(),
    sourceTable: z.string(),
    targetSchema: z.string(),
    targetTable: z.string(),
    status: z.string(),
    rowsCopied: z.number(),
    bytesCopied: z.number(),
    estimatedRows: z.number(),
    chunksTotal: z.number(),
    chunksDone: z.number(),
    validation: z.string(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
  })
  .openapi("RunTable");

export const RunView = RunSummaryView.extend({
  variables: z.record(z.string(), z.string()),
  tables: z.array(RunTableView),
  cdc: z.unknown().nullable(),
  validation: z.unknown().nullable(),
  durationMs: z.number().nullable(),
}).openapi("Run");

const errorOf = (code: string | null, message: string | null) => (code ? { code, message: message ?? "" } : null);

export function runSummaryView(r: RunRow) {
  return {
    id: r.id,
    taskId: r.taskId,
    status: r.status,
    phase: r.phase,
    mode: r.mode,
    rowsCopied: r.rowsCopied,
    bytesCopied: r.bytesCopied,
    error: errorOf(r.errorCode, r.errorMessage),
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
  };
}

export function runView(r: RunRow, tables: RunTableRow[]) {
  const end = r.finishedAt ?? (r.startedAt ? Date.now() : null);
  return {
    ...runSummaryView(r),
    variables: r.variables as Record<string, string>,
    cdc: r.cdc ?? null,
    validation: r.validation ?? null,
    durationMs: r.startedAt && end ? end - r.startedAt : null,
    tables: tables.map((t) => ({
      sourceSchema: t.sourceSchema,
      sourceTable: t.sourceTable,
      targetSchema: t.targetSchema,
      targetTable: t.targetTable,
      status: t.status,
      rowsCopied: t.rowsCopied,
      bytesCopied: t.bytesCopied,
      estimatedRows: t.estimatedRows,
      chunksTotal: t.chunksTotal,
      chunksDone: t.chunksDone,
      validation: t.validation,
      error: errorOf(t.errorCode, t.errorMessage),
    })),
  };
}
