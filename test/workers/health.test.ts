import { describe, expect, it } from "vitest";
import { anonymous, signUp } from "./support/client";

describe("health and OpenAPI", () => {
  it("health checks D1 without auth and carries a request id", async () => {
    const res = await anonymous.get("/health");
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ ok: true, checks: { d1: { ok: true } } });
    expect(res.headers.get("x-request-id")).toMatch(/^[\w-]{8,}$/);
    const echoed = await anonymous.request("GET", "/health", undefined, { "x-request-id": "trace-123" });
    expect(echoed.headers.get("x-request-id")).toBe("trace-123");
  });

  it("serves an OpenAPI 3.1 document generated from the route schemas", async () => {
    const res = await anonymous.get("/openapi.json");
    expect(res.status).toBe(200);
    expect(res.json.openapi).toBe("3.1.0");
    const paths = Object.keys(res.json.paths);
    for (const p of [
      "/auth/signup",
      "/auth/login",
      "/auth/logout",
      "/me",
      "/api-keys",
      "/api-keys/{id}",
      "/connectors",
      "/connectors/{id}",
      "/connectors/{id}/test",
      "/connectors/{id}/tables",
      "/connectors/{id}/query",
      "/tasks",
      "/tasks/{id}",
      "/tasks/{id}/runs",
      "/runs/{id}",
      "/health",
    ]) {
      expect(paths).toContain(p);
    }
    const taskCreate = res.json.components.schemas.TaskCreate;
    expect(taskCreate.properties.options).toBeDefined();
    expect(JSON.stringify(taskCreate)).toContain("chunkRows");
  });

  it("answers unknown endpoints with 404 NOT_FOUND in the error shape", async () => {
    const { client } = await signUp();
    const res = await client.get("/nope");
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ error: { code: "NOT_FOUND", message: "No such endpoint." } });
  });
});
