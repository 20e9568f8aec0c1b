/**
 * Progress math of the run page. One view model (`LiveRun`) is filled either from GET /runs/:id or
 * from a WebSocket progress message; both carry the same per-table fields.
 */
import type { CdcProgress, ErrorInfo, Run, RunProgress, RunStatus, TableProgress } from "./api/types";

export interface LiveRun {
  runId: string;
  status: RunStatus;
  phase: string;
  rowsCopied: number;
  bytesCopied: number;
  estimatedRows: number;
  /** null when the source (GET /runs/:id) does not say. */
  rowsPerSecond: number | null;
  etaSeconds: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  error: ErrorInfo | null;
  tables: TableProgress[];
  /** Change capture state; null for a plain full load, or before the first round. */
  cdc: CdcProgress | null;
}

export const TERMINAL: readonly RunStatus[] = ["succeeded", "failed", "stopped"];
export const isTerminal = (status: RunStatus) => TERMINAL.includes(status);

const estimateOf = (t: { estimatedRows: number; rowsCopied: number }) => Math.max(0, t.estimatedRows, t.rowsCopied);

export function fromRun(run: Run): LiveRun {
  return {
    runId: run.id,
    status: run.status,
    phase: run.phase,
    rowsCopied: run.rowsCopied,
    bytesCopied: run.bytesCopied,
    estimatedRows: run.tables.reduce((s, t) => s + estimateOf(t), 0),
    rowsPerSecond: null,
    etaSeconds: null,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    error: run.error,
    tables: run.tables,
    cdc: run.cdc ?? null,
  };
}

export function fromProgress(p: RunProgress): LiveRun {
  return {
    runId: p.runId,
    status: p.status,
    phase: p.phase,
    rowsCopied: p.rowsCopied,
    bytesCopied: p.bytesCopied,
    estimatedRows: p.estimatedRows,
    rowsPerSecond: p.rowsPerSecond,
    etaSeconds: p.etaSeconds,
    startedAt: p.startedAt,
    finishedAt: p.finishedAt,
    error: p.error,
    tables: p.tables,
    // Messages from a coordinator older than the cdc field lack it.
    cdc: p.cdc ?? null,
  };
}

const clamp01 = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);

/**
 * How far one table is, 0…1. Estimates are planner guesses (reltuples; -1 when never analysed), so a
 * table reaches 1 only when it has succeeded; until then it stops just short, whatever the counts say.
 */
export function tableFraction(t: Pick<TableProgress, "status" | "rowsCopied" | "estimatedRows" | "chunksDone" | "chunksTotal">): number {
  if (t.status === "succeeded") return 1;
  const estimate = Math.max(0, t.estimatedRows);
  let f = 0;
  if (estimate > 0) f = t.rowsCopied / estimate;
  else if (t.chunksTotal > 0) f = t.chunksDone / t.chunksTotal;
  return Math.min(clamp01(f), 0.99);
}

/** How far the run is, 0…1: 1 only once it succeeded. */
export function runFraction(run: Pick<LiveRun, "status" | "rowsCopied" | "estimatedRows" | "tables">): number {
  if (run.status === "succeeded") return 1;
  if (run.estimatedRows > 0) return Math.min(clamp01(run.rowsCopied / run.estimatedRows), 0.99);
  if (run.tables.length === 0) return 0;
  return Math.min(run.tables.reduce((s, t) => s + tableFraction(t), 0) / run.tables.length, 0.99);
}

/** 0.427 → "42%" (floored, so "100%" means done). */
export function percentLabel(fraction: number): string {
  return `${Math.floor(clamp01(fraction) * 100)}%`;
}

/** Seconds left at the current rate, or null when nothing is moving. */
export function etaSeconds(remainingRows: number, rowsPerSecond: number): number | null {
  if (!(rowsPerSecond > 0) || !Number.isFinite(remainingRows)) return null;
  return Math.max(0, Math.ceil(Math.max(0, remainingRows) / rowsPerSecond));
}

export interface RateSample {
  /** Epoch ms. */
  time: number;
  rows: number;
  rowsPerSecond: number;
}

/**
 * Adds a sample of the run's row count. The rate is the server's when it gives one, else derived from
 * the previous sample. Keeps the newest `max` samples; a sample older than the last is dropped.
 */
export function addSample(samples: readonly RateSample[], time: number, rows: number, serverRate: number | null, max = 120): RateSample[] {
  const last = samples[samples.length - 1];
  if (last && time <= last.time) return [...samples];
  let rate = serverRate ?? 0;
  if (serverRate === null && last) rate = Math.max(0, ((rows - last.rows) * 1000) / (time - last.time));
  const next = [...samples, { time, rows, rowsPerSecond: rate }];
  return next.length > max ? next.slice(next.length - max) : next;
}

/**
 * SVG path data (line, and the area under it) of a time series in a `width`×`height` box: x spans the
 * first to the last time, y runs from 0 (bottom) to the highest value. Expects times in ascending order.
 */
export function seriesPaths(points: readonly { time: number; value: number }[], width: number, height: number): { line: string; area: string; max: number } {
  if (points.length === 0) return { line: "", area: "", max: 0 };
  const max = Math.max(...points.map((p) => p.value), 0);
  const t0 = points[0]!.time;
  const span = points[points.length - 1]!.time - t0;
  const x = (t: number) => (span > 0 ? ((t - t0) / span) * width : width);
  const y = (v: number) => (max > 0 ? height - (Math.max(0, v) / max) * height : height);
  const pts = points.map((p) => `${x(p.time).toFixed(1)},${y(p.value).toFixed(1)}`);
  const line = `M${pts.join(" L")}`;
  const first = x(t0).toFixed(1);
  const lastX = x(points[points.length - 1]!.time).toFixed(1);
  const area = `${line} L${lastX},${height} L${first},${height} Z`;
  return { line, area, max };
}
