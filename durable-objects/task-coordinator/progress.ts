import type { JobRecord, RunRecord, TableRecord } from "./run-store";
import type { RunProgress, TableProgress } from "./progress-message";
import { throughput } from "./scheduling";

export type { RunProgress, TableProgress };

/** Rows and bytes a job has moved: final counts when done, the runner's running count while in flight. */
const counts = (j: JobRecord) => (j.kind === "copy" && (j.status === "done" || j.status === "dispatched") ? { rows: j.rows, bytes: j.bytes } : { rows: 0, bytes: 0 });

export function tableProgress(tables: TableRecord[], jobs: JobRecord[]): TableProgress[] {
  const copies = new Map<string, JobRecord[]>();
  for (const j of jobs) {
    if (j.kind !== "copy" || j.tableKey === null) continue;
    const list = copies.get(j.tableKey);
    if (list) list.push(j);
    else copies.set(j.tableKey, [j]);
  }
  return tables.map((t) => {
    const mine = copies.get(t.key) ?? [];
    let rows = 0;
    let bytes = 0;
    for (const j of mine) {
      const c = counts(j);
      rows += c.rows;
      bytes += c.bytes;
    }
    return {
      sourceSchema: t.prepared.table.schema,
      sourceTable: t.prepared.table.name,
      targetSchema: t.prepared.targetTable.schema,
      targetTable: t.prepared.targetTable.name,
      status: t.status,
      rowsCopied: rows,
      bytesCopied: bytes,
      estimatedRows: Math.max(0, Math.round(t.prepared.table.estimatedRows)),
      chunksDone: mine.filter((j) => j.status === "done").length,
      chunksTotal: t.chunksTotal,
      validation: t.validation,
      error: t.errorCode ? { code: t.errorCode, message: t.errorMessage ?? "" } : null,
    };
  });
}

export function runProgress(run: RunRecord, tables: TableRecord[], jobs: JobRecord[], samples: { time: number; rows: number }[]): RunProgress {
  const perTable = tableProgress(tables, jobs);
  const rowsCopied = perTable.reduce((s, t) => s + t.rowsCopied, 0);
  const bytesCopied = perTable.reduce((s, t) => s + t.bytesCopied, 0);
  const estimatedRows = perTable.reduce((s, t) => s + Math.max(t.estimatedRows, t.rowsCopied), 0);
  const active = run.status === "running";
  const speed = active ? throughput(samples, estimatedRows - rowsCopied) : { rowsPerSecond: 0, etaSeconds: null };
  return {
    type: "progress",
    runId: run.id,
    taskId: run.taskId,
    status: run.status,
    phase: run.phase,
    rowsCopied,
    bytesCopied,
    estimatedRows,
    rowsPerSecond: speed.rowsPerSecond,
    etaSeconds: active ? speed.etaSeconds : 0,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    error: run.errorCode ? { code: run.errorCode, message: run.errorMessage ?? "" } : null,
    tables: perTable,
    cdc: run.cdc
      ? {
          slot: run.cdc.slot,
          consistentPoint: run.cdc.consistentPoint,
          appliedLsn: run.cdc.appliedLsn,
          receivedLsn: run.cdc.receivedLsn ?? null,
          changesApplied: run.cdc.changesApplied,
          transactionsApplied: run.cdc.transactionsApplied,
          lagBytes: run.cdc.lagBytes,
          lagSeconds: run.cdc.lagSeconds,
          lastBatchAt: run.cdc.lastBatchAt,
        }
      : null,
  };
}
