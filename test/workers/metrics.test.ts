import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../worker/src/db/client";
import { runs } from "../../worker/src/db/schema";
import { signUp, type ApiClient } from "./support/client";

const HOUR = 3600_000;

async function taskOf(client: ApiClient) {
  const s = (await client.post("/connectors", { name: "s", url: "postgres://u:p@127.0.0.1:1/s" })).json.id;
  const t = (await client.post("/connectors", { name: "t", url: "postgres://u:p@127.0.0.1:1/t" })).json.id;
  return (await client.post("/tasks", { name: "m", sourceId: s, targetId: t })).json.id as string;
}

/** A run row as the coordinator leaves it in D1 (metrics read only D1). */
function run(tenantId: string, taskId: string, status: "succeeded" | "failed" | "stopped" | "running", finishedAgoMs: number | null, durationMs: number, rows: number, bytes: number) {
  const now = Date.now();
  const finishedAt = finishedAgoMs === null ? null : now - finishedAgoMs;
  const startedAt = (finishedAt ?? now) - durationMs;
  return {
    id: `run_m${Math.random().toString(36).slice(2, 12)}`,
    tenantId,
    taskId,
    status,
    phase: status === "running" ? "copying" : "done",
    mode: "full_load",
    variables: {},
    rowsCopied: rows,
    bytesCopied: bytes,
    createdAt: startedAt,
    startedAt,
    finishedAt,
    updatedAt: now,
  };
}

async function metricsOnceRecorded(client: ApiClient, atLeast: number) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const m = (await client.get("/metrics")).json;
    if (m.api.requests >= atLeast || Date.now() > deadline) return m;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("GET /metrics", () => {
  it("sums the tenant's tasks, runs, transfer and API requests as JSON", async () => {
    const { client, tenant } = await signUp();
    const other = await signUp();
    const taskId = await taskOf(client);
    await openDatabase(env.DB)
      .insert(runs)
      .values([
        run(tenant.id, taskId, "succeeded", 60_000, 2_000, 1_000, 2_000_000),
        run(tenant.id, taskId, "succeeded", 120_000, 3_000, 1_000, 2_000_000),
        run(tenant.id, taskId, "failed", 3 * HOUR, 1_000, 10, 100),
        run(tenant.id, taskId, "running", null, 500, 5, 50),
        run(tenant.id, taskId, "succeeded", 30 * HOUR, 9_000, 7, 70),
      ]);
    expect((await client.get("/webhooks/whk_nope")).status).toBe(404);
    // Requests so far: 2 connectors, 1 task, 1 webhook (404); counted after their responses.
    const m = await metricsOnceRecorded(client, 4);

    expect(m.windowHours).toBe(24);
    expect(m.tasks).toEqual({ total: 1, createdInWindow: 1 });
    expect(m.runs.inProgress).toBe(1);
    expect(m.runs.total).toEqual({ succeeded: 3, failed: 1, stopped: 0 });
    expect(m.runs.inWindow).toEqual({ succeeded: 2, failed: 1, stopped: 0 });
    expect(m.runs.perHour).toHaveLength(24);
    expect(m.runs.perHour.reduce((s: number, h: { failed: number }) => s + h.failed, 0)).toBe(1);
    expect(m.runs.perHour.at(-1).hour).toBe(Date.now() - (Date.now() % HOUR));
    expect(m.runs.averageDurationMs).toBe(2_000);
    expect(m.transfer).toEqual({
      rowsCopied: 2_022,
      bytesCopied: 4_000_220,
      rowsCopiedInWindow: 2_010,
      bytesCopiedInWindow: 4_000_100,
      rowsPerSecond: 400,
      megabytesPerSecond: 0.8,
    });
    expect(m.api.requests).toBeGreaterThanOrEqual(4);
    expect(m.api.clientErrors).toBeGreaterThanOrEqual(1);
    expect(m.api.serverErrors).toBe(0);
    expect(m.api.clientErrorRate).toBeGreaterThan(0);
    expect(m.api.latencyMs.p50).not.toBeNull();
    expect(m.api.latencyMs.p99).toBeGreaterThanOrEqual(m.api.latencyMs.p50);
    expect(m.api.latencyHistogram.reduce((s: number, n: number) => s + n, 0)).toBe(m.api.requests);

    const theirs = (await other.client.get("/metrics")).json;
    expect(theirs.tasks.total).toBe(0);
    expect(theirs.runs.total).toEqual({ succeeded: 0, failed: 0, stopped: 0 });
    expect(theirs.transfer.rowsCopied).toBe(0);
    expect(theirs.transfer.rowsPerSecond).toBeNull();
  });

  it("speaks the Prometheus text format for Accept: text/plain and ?format=prometheus", async () => {
    const { client, tenant, cookie } = await signUp();
    const raw = async (path: string, accept?: string) => {
      const res = await SELF.fetch(`http://dtaas.test/api/v1${path}`, { headers: { cookie, ...(accept ? { accept } : {}) } });
      return { status: res.status, headers: res.headers, text: await res.text() };
    };
    const taskId = await taskOf(client);
    await openDatabase(env.DB).insert(runs).values([run(tenant.id, taskId, "succeeded", 1_000, 4_000, 400, 8_000_000), run(tenant.id, taskId, "running", null, 1, 0, 0)]);
    await metricsOnceRecorded(client, 3);
    const byAccept = await raw("/metrics", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1");
    const byQuery = await raw("/metrics?format=prometheus");
    for (const res of [byAccept, byQuery]) {
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
      const lines = res.text.trimEnd().split("\n");
      for (const line of lines) {
        expect(line).toMatch(/^(# (HELP|TYPE) [a-z_0-9]+ .+|[a-z_][a-z_0-9]*(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+]+)$/);
      }
      expect(lines).toContain("# TYPE dtaas_rows_copied_total counter");
      expect(lines).toContain('dtaas_runs_finished_total{status="succeeded"} 1');
      expect(lines).toContain("dtaas_runs_in_progress 1");
      expect(lines).toContain("dtaas_rows_copied_total 400");
      expect(lines).toContain("dtaas_bytes_copied_total 8000000");
      expect(lines).toContain("dtaas_run_rows_per_second_24h 100");
      expect(lines).toContain("dtaas_run_megabytes_per_second_24h 2");
      expect(lines).toContain("dtaas_tasks 1");
      expect(lines.some((l) => l.startsWith('dtaas_api_request_duration_seconds_24h{quantile="0.99"} '))).toBe(true);
      expect(lines.some((l) => /^dtaas_api_request_duration_seconds_24h_count \d+$/.test(l))).toBe(true);
    }
    const json = await raw("/metrics", "application/json, text/plain, */*");
    expect(json.headers.get("content-type")).toContain("application/json");
    expect((await client.get("/metrics?format=xml")).json.error.code).toBe("VALIDATION_FAILED");
  });

  it("needs authentication", async () => {
    const { anonymous } = await import("./support/client");
    expect((await anonymous.get("/metrics")).status).toBe(401);
  });
});
