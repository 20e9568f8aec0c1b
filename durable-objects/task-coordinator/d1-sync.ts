import { and, eq, sql } from "drizzle-orm";
import { openDatabase } from "../../worker/src/db/client";
import { runLogs, runs, runTables } from "../../worker/src/db/schema";
import type { RunProgress } from "./progress";

/**
 * Writes the run summary and per-table progress to D1, where the API reads them. Idempotent. `written`
 * holds each table's progress as last written for this run (by the caller's object, in memory, emptied
 * when a run starts): only tables that changed since are written, so an event costs D1 one row per table
 * it touched, not one per table of the run (200 tables: 200 upserts per report made the coordinator the
 * bottleneck). Empty after an eviction: everything is written once more.
 */
export async function syncRunToD1(
  d1: D1Database,
  tenantId: string,
  p: RunProgress,
  now: number,
  written: Map<string, string>,
  logs: readonly RunLogEntry[] = [],
): Promise<void> {
  const db = openDatabase(d1);
  const changed = p.tables
    .map((t) => ({ t, key: JSON.stringify([t.sourceSchema, t.sourceTable]), value: JSON.stringify(t) }))
    .filter(({ key, value }) => written.get(key) !== value);
  const statements = [
    db
      .update(runs)
      .set({
        status: p.status,
        phase: p.phase,
        rowsCopied: p.rowsCopied,
        bytesCopied: p.bytesCopied,
        errorCode: p.error?.code ?? null,
        errorMessage: p.error?.message ?? null,
        cdc: p.cdc,
        startedAt: p.startedAt,
        finishedAt: p.finishedAt,
        updatedAt: now,
      })
      .where(and(eq(runs.id, p.runId), eq(runs.tenantId, tenantId))),
    ...changed.map(({ t }) =>
      db
        .insert(runTables)
        .values({
          runId: p.runId,
          tenantId,
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
          errorCode: t.error?.code ?? null,
          errorMessage: t.error?.message ?? null,
          updatedAt: now,
        })
        .onConflictDoUpdate({
          target: [runTables.runId, runTables.sourceSchema, runTables.sourceTable],
          set: {
            status: sql`excluded.status`,
            rowsCopied: sql`excluded.rows_copied`,
            bytesCopied: sql`excluded.bytes_copied`,
            chunksDone: sql`excluded.chunks_done`,
            chunksTotal: sql`excluded.chunks_total`,
            validation: sql`excluded.validation`,
            errorCode: sql`excluded.error_code`,
            errorMessage: sql`excluded.error_message`,
            updatedAt: sql`excluded.updated_at`,
          },
        }),
    ),
  ];
  // The event's log lines ride in the same batch: one D1 round trip per event.
  await db.batch([...statements, ...logInserts(db, logs)] as [(typeof statements)[0], ...(typeof statements)[number][]]);
  for (const { key, value } of changed) written.set(key, value);
}

export interface RunLogEntry {
  runId: string;
  tenantId: string;
  level: string;
  message: string;
  fields?: Record<string, unknown>;
  time: number;
}

/** Rows per INSERT: D1 binds at most 100 parameters in a statement, and a line takes 6. */
const LOG_ROWS_PER_STATEMENT = 16;

function logInserts(db: ReturnType<typeof openDatabase>, entries: readonly RunLogEntry[]) {
  const statements = [];
  for (let i = 0; i < entries.length; i += LOG_ROWS_PER_STATEMENT) {
    const rows = entries.slice(i, i + LOG_ROWS_PER_STATEMENT).map((e) => ({ ...e, fields: e.fields ?? null }));
    statements.push(db.insert(runLogs).values(rows));
  }
  return statements;
}

/** Appends run log lines to D1 in one batch (one transaction), in order. */
export async function appendRunLogs(d1: D1Database, entries: readonly RunLogEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const db = openDatabase(d1);
  const statements = logInserts(db, entries);
  await db.batch(statements as [(typeof statements)[0], ...(typeof statements)[number][]]);
}
