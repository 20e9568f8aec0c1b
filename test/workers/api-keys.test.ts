import { describe, expect, it } from "vitest";
import { ApiClient, signUp } from "./support/client";

describe("API keys", () => {
  it("creates a key shown once, lists it without the secret, acts for the tenant, and stops working when revoked", async () => {
    const { client, tenant } = await signUp();
    const created = await client.post("/api-keys", { name: "ci" });
    expect(created.status).toBe(201);
    const key: string = created.json.key;
    expect(key).toMatch(/^dtaas_[A-Za-z0-9_-]{40,}$/);
    expect(created.json.prefix).toBe(key.slice(0, 12));

    const list = await client.get("/api-keys");
    expect(list.status).toBe(200);
    expect(list.json.items).toHaveLength(1);
    expect(list.json.items[0]).toMatchObject({ id: created.json.id, name: "ci", revokedAt: null });
    expect(list.text).not.toContain(key);

    const byKey = new ApiClient({ apiKey: key });
    const me = await byKey.get("/me");
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ user: null, tenant, authMethod: "api_key" });

    expect((await client.delete(`/api-keys/${created.json.id}`)).status).toBe(204);
    const after = await byKey.get("/me");
    expect(after.status).toBe(401);
    expect(after.json.error.code).toBe("UNAUTHENTICATED");
    const listed = await client.get("/api-keys");
    expect(listed.json.items[0].revokedAt).toBeTypeOf("number");
  });

  it("an API key can manage resources like a session (create a connector)", async () => {
    const { client } = await signUp();
    const key = (await client.post("/api-keys", { name: "automation" })).json.key;
    const res = await new ApiClient({ apiKey: key }).post("/connectors", { name: "k", url: "postgres://u:secretpw@db.example:5432/app" });
    expect(res.status).toBe(201);
  });

  it("rejects a nameless key (400 VALIDATION_FAILED)", async () => {
    const { client } = await signUp();
    const res = await client.post("/api-keys", { name: "" });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("VALIDATION_FAILED");
  });

  it("another tenant's key id answers 404 and stays active", async () => {
    const a = await signUp();
    const b = await signUp();
    const created = await a.client.post("/api-keys", { name: "mine" });
    const res = await b.client.delete(`/api-keys/${created.json.id}`);
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe("NOT_FOUND");
    expect((await new ApiClient({ apiKey: created.json.key }).get("/me")).status).toBe(200);
    expect((await b.client.get("/api-keys")).json.items).toHaveLength(0);
  });

  it("paginates with limit and cursor", async () => {
    const { client } = await signUp();
    for (let i = 0; i < 5; i++) await client.post("/api-keys", { name: `k${i}` });
    const first = await client.get("/api-keys?limit=2");
    expect(first.json.items.map((k: { name: string }) => k.name)).toEqual(["k4", "k3"]);
    const second = await client.get(`/api-keys?limit=2&cursor=${encodeURIComponent(first.json.nextCursor)}`);
    expect(second.json.items.map((k: { name: string }) => k.name)).toEqual(["k2", "k1"]);
    const third = await client.get(`/api-keys?limit=2&cursor=${encodeURIComponent(second.json.nextCursor)}`);
    expect(third.json.items.map((k: { name: string }) => k.name)).toEqual(["k0"]);
    expect(third.json.nextCursor).toBeNull();
    const bad = await client.get("/api-keys?cursor=%%%");
    expect(bad.status).toBe(400);
  });
});
