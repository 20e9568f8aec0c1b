import { BUCKET_COLUMNS, quantile } from "./latency";

const HOUR_MS = 3600_000;
export const WINDOW_HOURS = 24;

export interface TenantMetrics {
  generatedAt: number;
  windowHours: number;
  tasks: { total: number; createdInWindow: number };
  runs: {
    inProgress: number;
    /** All runs of the tenant's tasks by final status. */
    total: { succeeded: number; failed: number; stopped: number };
    /** Runs finished within the window by status. */
    inWindow: { succeeded: number; failed: number; stopped: number };
    /** One entry per hour of the window, oldest first; `hour` is the epoch ms of its start. */
    perHour: { hour: number; succeeded: number; failed: number; stopped: number }[];
    /** Mean duration of the runs finished within the window, null without any. */
    averageDurationMs: number | null;
  };
  transfer: {
    rowsCopied: number;
    bytesCopied: number;
    rowsCopiedInWindow: number;
    bytesCopiedInWindow: number;
    /** Throughput of the runs that succeeded within the window: their rows (bytes) over their summed durations. */
    rowsPerSecond: number | null;
    megabytesPerSecond: number | null;
  };
  api: {
    requests: number;
    clientErrors: number;
    serverErrors: number;
    clientErrorRate: number | null;
    serverErrorRate: number | null;
    latencyMs: { mean: number | null; p50: number | null; p95: number | null; p99: number | null };
    /** Non-cumulative counts per bucket of LATENCY_BUCKETS_MS, the unbounded bucket last. */
    latencyHistogram: number[];
    durationMsSum: number;
  };
}

type Num = number | null;
const n = (v: Num | undefined) => Number(v ?? 0);
const ratio = (a: number, b: number, digits = 4) => (b > 0 ? Math.round((a / b) * 10 ** digits) / 10 ** digits : null);

/** The tenant's metrics over the last WINDOW_HOURS, read from D1 in one batch of aggregate queries. */
export async function collectMetrics(d1: D1Database, tenantId: string, now = Date.now()): Promise<TenantMetrics> {
  const currentHour = now - (now % HOUR_MS);
  const firstHour = currentHour - (WINDOW_HOURS - 1) * HOUR_MS;
  const since = firstHour;
  const sums = BUCKET_COLUMNS.map((c) => `COALESCE(SUM(${c === "leInf" ? "le_inf" : `le_${c.slice(2)}`}), 0) AS ${c}`).join(", ");
  const [tasks, byStatus, hourly, recent, api] = await d1.batch([
    d1.prepare("SELECT COUNT(*) AS total, COALESCE(SUM(created_at >= ?2), 0) AS recent FROM tasks WHERE tenant_id = ?1").bind(tenantId, since),
    d1.prepare("SELECT status, COUNT(*) AS n, COALESCE(SUM(rows_copied), 0) AS rows, COALESCE(SUM(bytes_copied), 0) AS bytes FROM runs WHERE tenant_id = ?1 GROUP BY status").bind(tenantId),
    d1
      .prepare("SELECT finished_at - finished_at % ?3 AS hour, status, COUNT(*) AS n FROM runs WHERE tenant_id = ?1 AND finished_at >= ?2 AND status IN ('succeeded', 'failed', 'stopped') GROUP BY hour, status")
      .bind(tenantId, since, HOUR_MS),
    d1
      .prepare(
        `SELECT COUNT(*) AS runs, COALESCE(SUM(finished_at - started_at), 0) AS duration,
                COALESCE(SUM(rows_copied), 0) AS rows, COALESCE(SUM(bytes_copied), 0) AS bytes,
                COALESCE(SUM(CASE WHEN status = 'succeeded' THEN finished_at - started_at END), 0) AS ok_duration,
                COALESCE(SUM(CASE WHEN status = 'succeeded' THEN rows_copied END), 0) AS ok_rows,
                COALESCE(SUM(CASE WHEN status = 'succeeded' THEN bytes_copied END), 0) AS ok_bytes
           FROM runs WHERE tenant_id = ?1 AND finished_at >= ?2 AND started_at IS NOT NULL`,
      )
      .bind(tenantId, since),
    d1
      .prepare(
        `SELECT COALESCE(SUM(requests), 0) AS requests, COALESCE(SUM(client_errors), 0) AS client_errors,
                COALESCE(SUM(server_errors), 0) AS server_errors, COALESCE(SUM(duration_ms_sum), 0) AS duration, ${sums}
           FROM api_request_stats WHERE tenant_id = ?1 AND minute >= ?2`,
      )
      .bind(tenantId, now - WINDOW_HOURS * HOUR_MS),
  ]);
  const t = tasks!.results[0] as { total: number; recent: number };
  const statusRows = byStatus!.results as { status: string; n: number; rows: number; bytes: number }[];
  const count = (s: string) => n(statusRows.find((r) => r.status === s)?.n);
  const perHour = Array.from({ length: WINDOW_HOURS }, (_, i) => ({ hour: firstHour + i * HOUR_MS, succeeded: 0, failed: 0, stopped: 0 }));
  for (const row of hourly!.results as { hour: number; status: "succeeded" | "failed" | "stopped"; n: number }[]) {
    const slot = perHour[(row.hour - firstHour) / HOUR_MS];
    if (slot) slot[row.status] += row.n;
  }
  const inWindow = { succeeded: 0, failed: 0, stopped: 0 };
  for (const h of perHour) for (const s of ["succeeded", "failed", "stopped"] as const) inWindow[s] += h[s];
  const r = recent!.results[0] as Record<string, Num>;
  const a = api!.results[0] as Record<string, Num>;
  const histogram = BUCKET_COLUMNS.map((c) => n(a[c]));
  const requests = n(a.requests);
  return {
    generatedAt: now,
    windowHours: WINDOW_HOURS,
    tasks: { total: n(t.total), createdInWindow: n(t.recent) },
    runs: {
      inProgress: count("queued") + count("running"),
      total: { succeeded: count("succeeded"), failed: count("failed"), stopped: count("stopped") },
      inWindow,
      perHour,
      averageDurationMs: n(r.runs) > 0 ? Math.round(n(r.duration) / n(r.runs)) : null,
    },
    transfer: {
      rowsCopied: statusRows.reduce((s, row) => s + n(row.rows), 0),
      bytesCopied: statusRows.reduce((s, row) => s + n(row.bytes), 0),
      rowsCopiedInWindow: n(r.rows),
      bytesCopiedInWindow: n(r.bytes),
      rowsPerSecond: ratio(n(r.ok_rows) * 1000, n(r.ok_duration), 1),
      megabytesPerSecond: ratio((n(r.ok_bytes) / 1e6) * 1000, n(r.ok_duration), 3),
    },
    api: {
      requests,
      clientErrors: n(a.client_errors),
      serverErrors: n(a.server_errors),
      clientErrorRate: ratio(n(a.client_errors), requests),
      serverErrorRate: ratio(n(a.server_errors), requests),
      latencyMs: {
        mean: ratio(n(a.duration), requests, 1),
        p50: quantile(histogram, 0.5),
        p95: quantile(histogram, 0.95),
        p99: quantile(histogram, 0.99),
      },
      latencyHistogram: histogram,
      durationMsSum: n(a.duration),
    },
  };
}
