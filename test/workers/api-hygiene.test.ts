import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../worker/src/app";
import { anonymous, PASSWORD, signUp } from "./support/client";

const app = createApp();

/** The app with some vars changed, called as the Worker's fetch handler would be. */
async function call(vars: Partial<Env>, path: string, init: RequestInit = {}) {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`http://dtaas.test${path}`, init), { ...env, ...vars }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** Starts a test at least `seconds` before the end of a minute, so a fixed window does not roll over mid-test. */
async function awayFromMinuteEnd(seconds = 8) {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < seconds * 1000) await new Promise((r) => setTimeout(r, left + 50));
}

describe("rate limiting of sign-up and login", () => {
  it("answers the 11th attempt from one address in a minute with 429 RATE_LIMITED and Retry-After", async () => {
    const { email } = await signUp();
    await awayFromMinuteEnd();
    const ip = `203.0.113.${Math.floor(Math.random() * 250)}`;
    const login = (from: string, password = PASSWORD) => anonymous.request("POST", "/auth/login", { email, password }, { "cf-connecting-ip": from });
    for (let i = 0; i < 9; i++) expect((await login(ip, i % 2 ? PASSWORD : "wrong password!")).status).toBe(i % 2 ? 200 : 401);
    // Sign-up shares the counter: the 10th attempt.
    expect((await anonymous.request("POST", "/auth/signup", { email, password: PASSWORD, tenantName: "x" }, { "cf-connecting-ip": ip })).status).toBe(409);
    const limited = await login(ip);
    expect(limited.status).toBe(429);
    expect(limited.json.error.code).toBe("RATE_LIMITED");
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers.get("x-request-id")).toBeTruthy();
    expect((await login(ip)).status).toBe(429);
    // Another address is counted on its own; other endpoints are not limited.
    expect((await login(`198.51.100.${Math.floor(Math.random() * 250)}`)).status).toBe(200);
    expect((await anonymous.request("GET", "/health", undefined, { "cf-connecting-ip": ip })).status).toBe(200);
  });

  it("is off when AUTH_RATE_LIMIT_PER_MINUTE is 0", async () => {
    await awayFromMinuteEnd();
    const body = JSON.stringify({ email: "nobody@example.test", password: "x" });
    const init = { method: "POST", headers: { "content-type": "application/json", "cf-connecting-ip": "192.0.2.77" }, body };
    for (let i = 0; i < 12; i++) expect((await call({ AUTH_RATE_LIMIT_PER_MINUTE: "0" }, "/api/v1/auth/login", init)).status).toBe(401);
  });
});

describe("CORS", () => {
  const preflight = (origin: string) => ({ method: "OPTIONS", headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" } });

  it("allows only the origins in CORS_ORIGINS, with credentials, on /api/*", async () => {
    const vars = { CORS_ORIGINS: "https://app.example.test, https://admin.example.test" };
    const ok = await call(vars, "/api/v1/connectors", preflight("https://admin.example.test"));
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://admin.example.test");
    expect(ok.headers.get("access-control-allow-credentials")).toBe("true");
    expect(ok.headers.get("access-control-allow-headers")).toContain("authorization");
    const denied = await call(vars, "/api/v1/connectors", preflight("https://evil.example.test"));
    expect(denied.headers.get("access-control-allow-origin")).toBeNull();
    const simple = await call(vars, "/api/v1/health", { headers: { origin: "https://app.example.test" } });
    expect(simple.headers.get("access-control-allow-origin")).toBe("https://app.example.test");
    expect(simple.headers.get("access-control-expose-headers")).toContain("x-request-id");
  });

  it("is same-origin only when CORS_ORIGINS is empty, and refuses a malformed setting", async () => {
    const res = await call({ CORS_ORIGINS: "" }, "/api/v1/health", { headers: { origin: "https://app.example.test" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const bad = await call({ CORS_ORIGINS: "app.example.test/path" }, "/api/v1/health");
    expect(bad.status).toBe(500);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("SERVER_MISCONFIGURED");
  });
});

describe("request ids", () => {
  it("answers every API response, errors included, with X-Request-Id", async () => {
    const { client } = await signUp();
    for (const res of [await client.get("/webhooks"), await client.get("/webhooks/whk_nope"), await anonymous.get("/metrics"), await client.get("/metrics")]) {
      expect(res.headers.get("x-request-id")).toMatch(/^[\w.-]{1,64}$/);
    }
  });
});
