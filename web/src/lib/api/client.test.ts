import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, apiUrl, setFetch, toApiError } from "./client";
import { connectors, listAll, runs, tasks, webhooks } from "./index";

type Call = { url: string; init: RequestInit };

function fakeFetch(responses: Array<{ status: number; body?: unknown; text?: string }>) {
  const calls: Call[] = [];
  const f = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), init: init ?? {} });
    const r = responses.shift() ?? { status: 200, body: {} };
    const text = r.text ?? (r.body === undefined ? "" : JSON.stringify(r.body));
    return new Response(r.status === 204 ? null : text, { status: r.status });
  });
  setFetch(f as unknown as typeof fetch);
  return calls;
}

afterEach(() => setFetch((...args) => globalThis.fetch(...args)));

describe("api client", () => {
  it("builds URLs with encoded query parameters, leaving out empty ones", () => {
    expect(apiUrl("/tasks", { limit: 20, cursor: "a+b=" })).toBe("/api/v1/tasks?limit=20&cursor=a%2Bb%3D");
    expect(apiUrl("/tasks", { cursor: null, limit: undefined })).toBe("/api/v1/tasks");
  });

  it("sends JSON with the session cookie and parses the answer", async () => {
    const calls = fakeFetch([{ status: 201, body: { id: "con_1", name: "src" } }]);
    const made = await connectors.create({ name: "src", kind: "postgres", url: "postgres://u:p@h/db" });
    expect(made).toEqual({ id: "con_1", name: "src" });
    expect(calls[0]!.url).toBe("/api/v1/connectors");
    expect(calls[0]!.init.method).toBe("POST");
    expect(calls[0]!.init.credentials).toBe("same-origin");
    expect(JSON.parse(String(calls[0]!.init.body))).toEqual({ name: "src", kind: "postgres", url: "postgres://u:p@h/db" });
    expect((calls[0]!.init.headers as Record<string, string>)["content-type"]).toBe("application/json");
  });

  it("encodes path ids", async () => {
    const calls = fakeFetch([{ status: 200, body: { items: [], nextCursor: null } }]);
    await runs.logs("run/1", { cursor: "42" });
    expect(calls[0]!.url).toBe("/api/v1/runs/run%2F1/logs?cursor=42");
  });

  it("returns null for 204", async () => {
    fakeFetch([{ status: 204 }]);
    await expect(connectors.remove("con_1")).resolves.toBeNull();
  });

  it("throws ApiError with the API's code, message and details", async () => {
    fakeFetch([{ status: 409, body: { error: { code: "CONNECTOR_IN_USE", message: "Task x uses it.", details: { task: "x" } } } }]);
    const err = await connectors.remove("con_1").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 409, code: "CONNECTOR_IN_USE", message: "Task x uses it.", details: { task: "x" } });
  });

  it("makes an ApiError of a non-JSON failure and of a network failure", async () => {
    fakeFetch([{ status: 502, text: "<html>Bad gateway</html>" }]);
    await expect(tasks.get("t")).rejects.toMatchObject({ status: 502, code: "SERVER_ERROR" });
    setFetch((async () => {
      throw new TypeError("Failed to fetch");
    }) as unknown as typeof fetch);
    await expect(tasks.get("t")).rejects.toMatchObject({ status: 0, code: "NETWORK_ERROR" });
    expect(toApiError(404, null)).toMatchObject({ code: "HTTP_ERROR" });
  });

  it("calls the webhook endpoints", async () => {
    const calls = fakeFetch([
      { status: 201, body: { id: "whk_1", secret: "whsec_x" } },
      { status: 200, body: { id: "whk_1", active: false } },
      { status: 200, body: { items: [], nextCursor: null } },
      { status: 202, body: { id: "whd_2" } },
      { status: 204 },
    ]);
    expect(await webhooks.create({ url: "https://example.com/h", events: ["run.succeeded"] })).toMatchObject({ secret: "whsec_x" });
    await webhooks.update("whk_1", { active: false });
    await webhooks.deliveries("whk_1", { limit: 20, cursor: "c/1" });
    await webhooks.redeliver("whk_1", "whd_1");
    await webhooks.remove("whk_1");
    expect(calls.map((c) => `${c.init.method} ${c.url}`)).toEqual([
      "POST /api/v1/webhooks",
      "PATCH /api/v1/webhooks/whk_1",
      "GET /api/v1/webhooks/whk_1/deliveries?limit=20&cursor=c%2F1",
      "POST /api/v1/webhooks/whk_1/deliveries/whd_1/redeliver",
      "DELETE /api/v1/webhooks/whk_1",
    ]);
    expect(JSON.parse(String(calls[1]!.init.body))).toEqual({ active: false });
  });

  it("follows nextCursor through every page", async () => {
    const calls = fakeFetch([
      { status: 200, body: { items: [1, 2], nextCursor: "c1" } },
      { status: 200, body: { items: [3], nextCursor: null } },
    ]);
    expect(await listAll((p) => tasks.runs("t", p))).toEqual([1, 2, 3]);
    expect(calls[1]!.url).toBe("/api/v1/tasks/t/runs?limit=200&cursor=c1");
  });
});
