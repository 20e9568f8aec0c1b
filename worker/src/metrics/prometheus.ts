import type { TenantMetrics } from "./collect";

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Sample = { labels?: Record<string, string>; value: number | null };

const escape = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const labelText = (labels?: Record<string, string>) => {
  const entries = Object.entries(labels ?? {});
  return entries.length ? `{${entries.map(([k, v]) => `${k}="${escape(v)}"`).join(",")}}` : "";
};
const num = (v: number) => (Number.isFinite(v) ? String(v) : v > 0 ? "+Inf" : "-Inf");

/**
 * The metrics in the Prometheus text exposition format (0.0.4). Totals since the start are counters;
 * values over the window (`_24h`) and current values are gauges; API latency is a summary over the window.
 * Samples without a value (no data yet) are left out rather than written as NaN.
 */
export function toPrometheus(m: TenantMetrics): string {
  const out: string[] = [];
  const metric = (name: string, type: "counter" | "gauge" | "summary", help: string, samples: Sample[]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const s of samples) if (s.value !== null) out.push(`${name}${labelText(s.labels)} ${num(s.value)}`);
  };
  const h = `${m.windowHours}h`;
  const byStatus = (v: { succeeded: number; failed: number; stopped: number }) =>
    (["succeeded", "failed", "stopped"] as const).map((status) => ({ labels: { status }, value: v[status] }));

  metric("dtaas_tasks", "gauge", "Tasks of the tenant.", [{ value: m.tasks.total }]);
  metric(`dtaas_tasks_created_${h}`, "gauge", `Tasks created in the last ${h}.`, [{ value: m.tasks.createdInWindow }]);
  metric("dtaas_runs_in_progress", "gauge", "Runs queued or running.", [{ value: m.runs.inProgress }]);
  metric("dtaas_runs_finished_total", "counter", "Finished runs of existing tasks by final status.", byStatus(m.runs.total));
  metric(`dtaas_runs_finished_${h}`, "gauge", `Runs finished in the last ${h} by final status.`, byStatus(m.runs.inWindow));
  const lastHour = m.runs.perHour[m.runs.perHour.length - 1];
  if (lastHour) metric("dtaas_runs_finished_this_hour", "gauge", "Runs finished since the start of the current hour.", byStatus(lastHour));
  metric(`dtaas_run_duration_seconds_avg_${h}`, "gauge", `Mean duration of the runs finished in the last ${h}.`, [
    { value: m.runs.averageDurationMs === null ? null : m.runs.averageDurationMs / 1000 },
  ]);
  metric("dtaas_rows_copied_total", "counter", "Rows copied by all runs of existing tasks.", [{ value: m.transfer.rowsCopied }]);
  metric("dtaas_bytes_copied_total", "counter", "Bytes copied by all runs of existing tasks.", [{ value: m.transfer.bytesCopied }]);
  metric(`dtaas_rows_copied_${h}`, "gauge", `Rows copied by the runs finished in the last ${h}.`, [{ value: m.transfer.rowsCopiedInWindow }]);
  metric(`dtaas_bytes_copied_${h}`, "gauge", `Bytes copied by the runs finished in the last ${h}.`, [{ value: m.transfer.bytesCopiedInWindow }]);
  metric(`dtaas_run_rows_per_second_${h}`, "gauge", `Rows per second of the runs that succeeded in the last ${h}.`, [{ value: m.transfer.rowsPerSecond }]);
  metric(`dtaas_run_megabytes_per_second_${h}`, "gauge", `Megabytes (10^6 bytes) per second of the runs that succeeded in the last ${h}.`, [
    { value: m.transfer.megabytesPerSecond },
  ]);
  metric(`dtaas_api_requests_${h}`, "gauge", `API requests in the last ${h} by outcome.`, [
    { labels: { outcome: "ok" }, value: m.api.requests - m.api.clientErrors - m.api.serverErrors },
    { labels: { outcome: "client_error" }, value: m.api.clientErrors },
    { labels: { outcome: "server_error" }, value: m.api.serverErrors },
  ]);
  metric(`dtaas_api_error_ratio_${h}`, "gauge", `Share of API requests in the last ${h} answered 4xx (client) or 5xx (server).`, [
    { labels: { class: "client" }, value: m.api.clientErrorRate },
    { labels: { class: "server" }, value: m.api.serverErrorRate },
  ]);
  const l = m.api.latencyMs;
  const summary = `dtaas_api_request_duration_seconds_${h}`;
  const seconds = (v: number | null) => (v === null ? null : v / 1000);
  metric(summary, "summary", `API request latency over the last ${h} (quantiles interpolated from a histogram).`, [
    { labels: { quantile: "0.5" }, value: seconds(l.p50) },
    { labels: { quantile: "0.95" }, value: seconds(l.p95) },
    { labels: { quantile: "0.99" }, value: seconds(l.p99) },
  ]);
  out.push(`${summary}_sum ${num(m.api.durationMsSum / 1000)}`, `${summary}_count ${m.api.requests}`);
  const text = out.join("\n");
  return `${text}\n`;
}
