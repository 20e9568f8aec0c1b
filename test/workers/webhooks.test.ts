import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../worker/src/index";
import { signUp } from "./support/client";

const URL_OK = "https://hooks.example.test/dtaas";

describe("webhooks API", () => {
  it("creates a webhook and shows its secret once", async () => {
    const { client } = await signUp();
    const created = await client.post("/webhooks", { url: URL_OK, events: ["run.succeeded", "run.failed", "run.succeeded"] });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ url: URL_OK, events: ["run.succeeded", "run.failed"], active: true });
    expect(created.json.id).toMatch(/^whk_/);
    expect(created.json.secret).toMatch(/^whsec_[\w-]{30,}$/);
    const secret = created.json.secret as string;

    const got = await client.get(`/webhooks/${created.json.id}`);
    const list = await client.get("/webhooks");
    const patched = await client.patch(`/webhooks/${created.json.id}`, { active: false });
    const deliveries = await client.get(`/webhooks/${created.json.id}/deliveries`);
    for (const res of [got, list, patched, deliveries]) {
      expect(res.status).toBe(200);
      expect(res.text).not.toContain(secret);
      expect(res.text).not.toContain("secret");
    }
    expect(got.json).toMatchObject({ id: created.json.id, url: URL_OK, active: true });
    expect(list.json.items.map((w: { id: string }) => w.id)).toEqual([created.json.id]);
    expect(patched.json.active).toBe(false);
    expect(deliveries.json).toEqual({ items: [], nextCursor: null });
  });

  it("refuses, in production, a URL naming this machine or a private network (400 INVALID_URL)", async () => {
    const { cookie } = await signUp();
    const post = async (url: string) => {
      const ctx = createExecutionContext();
      const request = new Request("https://dtaas.test/api/v1/webhooks", {
        method: "POST",
        headers: { cookie, "content-type": "application/json" },
        body: JSON.stringify({ url, events: ["run.failed"] }),
      });
      const res = await worker.fetch(request, { ...env, ENVIRONMENT: "production" }, ctx);
      await waitOnExecutionContext(ctx);
      return { status: res.status, json: (await res.json()) as { error?: { code: string }; url?: string } };
    };
    for (const url of ["http://localhost:8080/x", "http://10.0.0.5/hook", "http://169.254.169.254/latest", "http://[::1]/x"]) {
      expect(await post(url), url).toMatchObject({ status: 400, json: { error: { code: "INVALID_URL" } } });
    }
    expect(await post(URL_OK)).toMatchObject({ status: 201, json: { url: URL_OK } });
  });

  it("updates url and events and deletes", async () => {
    const { client } = await signUp();
    const { id } = (await client.post("/webhooks", { url: URL_OK, events: ["run.failed"] })).json;
    const patched = await client.patch(`/webhooks/${id}`, { url: "http://127.0.0.1:9/x", events: ["validation.failed", "cdc.lag_exceeded"] });
    expect(patched.json).toMatchObject({ url: "http://127.0.0.1:9/x", events: ["validation.failed", "cdc.lag_exceeded"] });
    expect((await client.get(`/webhooks/${id}`)).json.events).toEqual(["validation.failed", "cdc.lag_exceeded"]);
    expect((await client.delete(`/webhooks/${id}`)).status).toBe(204);
    expect((await client.get(`/webhooks/${id}`)).status).toBe(404);
  });

  it("answers stable codes for invalid input", async () => {
    const { client } = await signUp();
    const cases: [unknown, string][] = [
      [{ url: "ftp://example.test/x", events: ["run.failed"] }, "INVALID_URL"],
      [{ url: "not a url", events: ["run.failed"] }, "INVALID_URL"],
      [{ url: "https://user:pw@example.test/x", events: ["run.failed"] }, "INVALID_URL"],
      [{ url: URL_OK, events: [] }, "INVALID_EVENTS"],
      [{ url: URL_OK, events: ["run.exploded"] }, "INVALID_EVENTS"],
      [{ url: URL_OK }, "VALIDATION_FAILED"],
      [{ url: 42, events: ["run.failed"] }, "VALIDATION_FAILED"],
    ];
    for (const [body, code] of cases) {
      const res = await client.post("/webhooks", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error.code, JSON.stringify(body)).toBe(code);
    }
    const unknown = await client.post("/webhooks", { url: URL_OK, events: ["run.failed", "nope"] });
    expect(unknown.json.error.details.unknown).toEqual(["nope"]);
    const { id } = (await client.post("/webhooks", { url: URL_OK, events: ["run.failed"] })).json;
    expect((await client.patch(`/webhooks/${id}`, { url: "javascript:alert(1)" })).json.error.code).toBe("INVALID_URL");
    expect((await client.patch(`/webhooks/${id}`, { events: ["x"] })).json.error.code).toBe("INVALID_EVENTS");
    expect((await client.get("/webhooks?cursor=@@@")).json.error.code).toBe("INVALID_CURSOR");
  });

  it("hides other tenants' webhooks and deliveries (404)", async () => {
    const a = await signUp();
    const b = await signUp();
    const { id } = (await a.client.post("/webhooks", { url: URL_OK, events: ["run.failed"] })).json;
    for (const res of [
      await b.client.get(`/webhooks/${id}`),
      await b.client.patch(`/webhooks/${id}`, { active: false }),
      await b.client.delete(`/webhooks/${id}`),
      await b.client.get(`/webhooks/${id}/deliveries`),
      await b.client.post(`/webhooks/${id}/deliveries/whd_x/redeliver`),
    ]) {
      expect(res.status).toBe(404);
      expect(res.json.error.code).toBe("NOT_FOUND");
    }
    expect((await b.client.get("/webhooks")).json.items).toEqual([]);
    expect((await a.client.get(`/webhooks/${id}`)).json.active).toBe(true);
  });

  it("pages with limit and cursor", async () => {
    const { client } = await signUp();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await client.post("/webhooks", { url: `${URL_OK}/${i}`, events: ["run.failed"] })).json.id);
    const first = await client.get("/webhooks?limit=2");
    expect(first.json.items.map((w: { id: string }) => w.id)).toEqual([ids[4], ids[3]]);
    const second = await client.get(`/webhooks?limit=2&cursor=${encodeURIComponent(first.json.nextCursor)}`);
    expect(second.json.items.map((w: { id: string }) => w.id)).toEqual([ids[2], ids[1]]);
    const third = await client.get(`/webhooks?limit=2&cursor=${encodeURIComponent(second.json.nextCursor)}`);
    expect(third.json).toMatchObject({ items: [{ id: ids[0] }], nextCursor: null });
  });
});
