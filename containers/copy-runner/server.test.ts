import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../../engine/errors/app-error";
import { createRunnerServer, runnerRoutes, type Route } from "./server";

const TOKEN = "test-runner-token-0123456789";
let server: Server;
let base: string;

const testRoutes: Route[] = [
  ...runnerRoutes({ version: "1.2.3", startedAt: Date.now() }),
  { method: "POST", path: "/echo/:id", handle: async (ctx) => ({ body: { id: ctx.params.id, got: await ctx.json() } }) },
  {
    method: "GET",
    path: "/conflict",
    handle: () => {
      throw new AppError("CHUNK_BUSY", "busy", { status: 409 });
    },
  },
  {
    method: "GET",
    path: "/boom",
    handle: () => {
      throw new Error("secret driver text");
    },
  },
];

beforeAll(async () => {
  server = createRunnerServer({ token: TOKEN, routes: testRoutes, maxBodyBytes: 64, onError: () => {} });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const auth = { authorization: `Bearer ${TOKEN}` };

describe("copy runner server", () => {
  it("answers health without a token", async () => {
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ok: boolean; version: string; uptimeMs: number };
    expect(body).toMatchObject({ ok: true, version: "1.2.3" });
    expect(body.uptimeMs).toBeGreaterThanOrEqual(0);
  });

  it.each([
    ["no token", {}],
    ["a wrong token", { authorization: "Bearer wrong" }],
    ["a token prefix", { authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
    ["another scheme", { authorization: `Basic ${TOKEN}` }],
  ])("rejects %s with 401", async (_label, headers: Record<string, string>) => {
    for (const path of ["/echo/1", "/does-not-exist"]) {
      const res = await fetch(`${base}${path}`, { method: "POST", headers, body: "{}" });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("UNAUTHENTICATED");
    }
  });

  it("answers 404 NOT_FOUND for unknown routes and methods", async () => {
    for (const [method, path] of [["GET", "/nope"], ["DELETE", "/health"], ["GET", "/echo/1"]] as const) {
      const res = await fetch(`${base}${path}`, { method, headers: auth });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: { code: "NOT_FOUND", message: "No such route." } });
    }
  });

  it("routes with params and JSON bodies", async () => {
    const res = await fetch(`${base}/echo/a%20b`, { method: "POST", headers: auth, body: '{"x":1}' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: "a b", got: { x: 1 } });
  });

  it("renders AppErrors and hides unexpected ones", async () => {
    const conflict = await fetch(`${base}/conflict`, { headers: auth });
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toEqual({ error: { code: "CHUNK_BUSY", message: "busy" } });
    const boom = await fetch(`${base}/boom`, { headers: auth });
    expect(boom.status).toBe(500);
    expect(JSON.stringify(await boom.json())).not.toContain("secret");
  });

  it("rejects bad and oversized bodies", async () => {
    const bad = await fetch(`${base}/echo/1`, { method: "POST", headers: auth, body: "{" });
    expect(bad.status).toBe(400);
    const big = await fetch(`${base}/echo/1`, { method: "POST", headers: auth, body: JSON.stringify("x".repeat(100)) });
    expect(big.status).toBe(413);
  });

  it("refuses an empty token", () => {
    expect(() => createRunnerServer({ token: "", routes: [] })).toThrow(/token/);
  });
});
