import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../worker/src/app";
import { signUp } from "./support/client";
import { adminSql, pgUrlFor } from "./support/postgres";

const app = createApp();

/** Every line written to the console while `fn` runs (the logger's only outlet in the Worker). */
async function captureConsole(fn: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const record = (...args: unknown[]) => void lines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
  for (const method of ["log", "info", "warn", "error", "debug"] as const) vi.spyOn(console, method).mockImplementation(record);
  await fn();
  return lines;
}

afterEach(() => vi.restoreAllMocks());

describe("structured request logs", () => {
  it("log each request (method, path, status, duration, requestId, tenantId) and never a connector password", async () => {
    const { cookie, tenant } = await signUp();
    const suffix = Math.random().toString(36).slice(2, 8);
    const role = `logtest_${suffix}`;
    // Distinctive, with characters that URL-encoding changes, so both spellings can be searched for.
    const password = `Quokka#${suffix}@Zebra/Pw!`;
    const wrongPassword = `Narwhal#${suffix}@Wrong/Pw!`;
    const admin = adminSql();
    await admin.unsafe(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);

    // Debug level, JSON lines: everything the Worker can log on this path is written.
    const vars = { ...env, LOG_LEVEL: "debug", ENVIRONMENT: "production" };
    const call = async (method: string, path: string, body?: unknown) => {
      const ctx = createExecutionContext();
      const init: RequestInit = { method, headers: { cookie, "content-type": "application/json", "x-request-id": `logtest-${suffix}-${path.length}` } };
      if (body !== undefined) init.body = JSON.stringify(body);
      const res = await app.fetch(new Request(`http://dtaas.test/api/v1${path}`, init), vars, ctx);
      await waitOnExecutionContext(ctx);
      return { status: res.status, json: (await res.json()) as any };
    };

    let good = "";
    const lines = await captureConsole(async () => {
      good = (await call("POST", "/connectors", { name: "good", url: pgUrlFor("postgres", { name: role, password }) })).json.id;
      expect((await call("POST", `/connectors/${good}/test`)).json.ok).toBe(true);
      const bad = (await call("POST", "/connectors", { name: "bad", host: "127.0.0.1", port: Number(new URL(env.TEST_PG_URL).port), database: "postgres", user: role, password: wrongPassword })).json.id;
      const failed = (await call("POST", `/connectors/${bad}/test`)).json;
      expect(failed).toMatchObject({ ok: false, error: { code: "AUTH_FAILED" } });
      expect((await call("PATCH", `/connectors/${bad}`, { password: wrongPassword + "2" })).status).toBe(200);
      expect((await call("GET", `/connectors/${bad}/tables`)).status).toBeGreaterThanOrEqual(400);
      expect((await call("POST", "/connectors", { name: "x", url: `postgres://${role}:${encodeURIComponent(password)}@127.0.0.1:1/db`, bogus: password })).status).toBe(400);
    });
    await admin.unsafe(`DROP ROLE ${role}`);

    expect(lines.length).toBeGreaterThan(5);
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const requests = records.filter((r) => r.message === "request");
    expect(requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(
      expect.arrayContaining([`POST /api/v1/connectors 201`, `POST /api/v1/connectors/${good}/test 200`, `POST /api/v1/connectors 400`]),
    );
    for (const r of requests) {
      expect(r).toMatchObject({ level: "info", module: "api", tenantId: tenant.id, requestId: expect.stringMatching(/^logtest-/) });
      expect(typeof r.durationMs).toBe("number");
    }
    expect(records.some((r) => r.message === "connection test failed" && r.code === "AUTH_FAILED")).toBe(true);
    const text = lines.join("\n");
    for (const secret of [password, wrongPassword, encodeURIComponent(password), encodeURIComponent(wrongPassword), "Quokka", "Narwhal"]) {
      expect(text).not.toContain(secret);
    }
  });
});
