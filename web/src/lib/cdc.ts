/**
 * The run page's change capture figures: lag samples for the lag chart, and the CdcProgress fields in
 * words. Pure.
 */
import type { CdcProgress } from "./api/types";
import { formatBytes, formatDuration } from "./format";

export interface LagSample {
  /** Epoch ms of the change stream's report that measured it (`lastBatchAt`). */
  time: number;
  lagSeconds: number;
}

/**
 * Adds the lag a progress message reports. Lag is measured once per report of the change stream, and
 * several messages may repeat the last report's figures, so a sample is keyed by the report's time: a
 * message of a report already shown (or older) adds nothing, nor does one without a measured lag. Keeps
 * the newest `max` samples.
 */
export function addLagSample(samples: readonly LagSample[], cdc: CdcProgress | null | undefined, max = 120): LagSample[] {
  if (!cdc || cdc.lastBatchAt === null || cdc.lagSeconds === null || !Number.isFinite(cdc.lagSeconds)) return [...samples];
  const last = samples[samples.length - 1];
  if (last && cdc.lastBatchAt <= last.time) return [...samples];
  const next = [...samples, { time: cdc.lastBatchAt, lagSeconds: Math.max(0, cdc.lagSeconds) }];
  return next.length > max ? next.slice(next.length - max) : next;
}

/** Lag in seconds for people: "0.4 s" below ten seconds (CDC lag is usually that small), else a duration. */
export function formatLag(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return "–";
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  return formatDuration(seconds * 1000);
}

/** Lag in bytes of WAL: "–" when not measured yet. */
export function formatLagBytes(bytes: number | null | undefined): string {
  return bytes === null || bytes === undefined ? "–" : formatBytes(bytes);
}
