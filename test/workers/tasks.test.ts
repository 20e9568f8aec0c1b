import { describe, expect, it } from "vitest";
import { signUp } from "./support/client";

async function tenantWithConnectors() {
  const t = await signUp();
  const source = (await t.client.post("/connectors", { name: "src", url: "postgres://u:p@h/src" })).json.id as string;
  const target = (await t.client.post("/connectors", { name: "dst", url: "postgres://u:p@h/dst" })).json.id as string;
  return { ...t, source, target };
}

describe("tasks", () => {
  it("creates a task with every default filled in", async () => {
    const { client, source, target } = await tenantWithConnectors();
    const res = await client.post("/tasks", { name: "nightly", sourceId: source, targetId: target });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      name: "nightly",
      sourceId: source,
      targetId: target,
      mode: "full_load",
      tables: { include: ["public.*"], exclude: [], filters: {} },
      options: { parallelTables: 2, chunkRows: 4000000, maxRetries: 3, retryDelaySeconds: 5, targetTableMode: "drop_and_create", validate: true },
      variables: {},
      latestRun: null,
    });
    const got = await client.get(`/tasks/${res.json.id}`);
    expect(got.json).toEqual(res.json);
  });

  it("stores the full option set, filters and variables", async () => {
    const { client, source, target } = await tenantWithConnectors();
    const body = {
      name: "sales",
      sourceId: source,
      targetId: target,
      mode: "full_load_and_cdc",
      tables: {
        include: ["public.*", "sales.order_*"],
        exclude: ["public.tmp_*"],
        filters: { "sales.orders": [{ column: "region", op: "=", value: "${region}" }, { column: "id", op: "in", value: [1, 2, 3] }] },
      },
      options: { parallelTables: 4, chunkRows: 50000, maxRetries: 5, retryDelaySeconds: 2, targetTableMode: "truncate", validate: false, targetSchema: "${env}_sales" },
      variables: { env: "staging", region: "eu" },
    };
    const res = await client.post("/tasks", body);
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ ...body, options: body.options });
  });

  it.each([
    [{ mode: "sometimes" }, "mode"],
    [{ tables: { include: ["nodot"] } }, "tables.include.0"],
    [{ tables: { include: [] } }, "tables.include"],
    [{ options: { chunkRows: 10 } }, "options.chunkRows"],
    [{ options: { parallelTables: 0 } }, "options.parallelTables"],
    [{ options: { targetTableMode: "merge" } }, "options.targetTableMode"],
    [{ options: { retryDelaySeconds: -1 } }, "options.retryDelaySeconds"],
    [{ options: { unknownOption: true } }, "options"],
    [{ variables: { "bad name": "x" } }, "variables.bad name"],
    [{ tables: { include: ["public.*"], filters: { "public.t": [{ column: "a", op: "in", value: 3 }] } } }, "tables.filters.public.t.0"],
    [{ tables: { include: ["public.*"], filters: { "public.t": [{ column: "a", op: "drop", value: 3 }] } } }, "tables.filters.public.t.0.op"],
    [{ name: "" }, "name"],
  ])("rejects %j with 400 VALIDATION_FAILED at %s", async (patch, path) => {
    const { client, source, target } = await tenantWithConnectors();
    const res = await client.post("/tasks", { name: "t", sourceId: source, targetId: target, ...patch });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("VALIDATION_FAILED");
    expect(res.json.error.details.issues.map((i: { path: string }) => i.path)).toContain(path);
    expect((await client.get("/tasks")).json.items).toHaveLength(0);
  });

  it("refuses unknown, foreign and identical connectors", async () => {
    const { client, source } = await tenantWithConnectors();
    const other = await tenantWithConnectors();
    const unknown = await client.post("/tasks", { name: "t", sourceId: source, targetId: "con_missing" });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.code).toBe("UNKNOWN_CONNECTOR");
    const foreign = await client.post("/tasks", { name: "t", sourceId: source, targetId: other.target });
    expect(foreign.status).toBe(400);
    expect(foreign.json.error.code).toBe("UNKNOWN_CONNECTOR");
    const same = await client.post("/tasks", { name: "t", sourceId: source, targetId: source });
    expect(same.status).toBe(400);
    expect(same.json.error.code).toBe("SAME_SOURCE_AND_TARGET");
  });

  it("updates options partially and renames; refuses a taken name", async () => {
    const { client, source, target } = await tenantWithConnectors();
    const a = (await client.post("/tasks", { name: "a", sourceId: source, targetId: target })).json;
    await client.post("/tasks", { name: "b", sourceId: source, targetId: target });
    const res = await client.patch(`/tasks/${a.id}`, { name: "a2", options: { chunkRows: 10000 }, variables: { env: "prod" } });
    expect(res.status).toBe(200);
    expect(res.json.name).toBe("a2");
    expect(res.json.options).toEqual({ ...a.options, chunkRows: 10000 });
    expect(res.json.variables).toEqual({ env: "prod" });
    expect((await client.get(`/tasks/${a.id}`)).json.options.chunkRows).toBe(10000);
    const taken = await client.patch(`/tasks/${a.id}`, { name: "b" });
    expect(taken.status).toBe(409);
    expect(taken.json.error.code).toBe("NAME_TAKEN");
  });

  it("lists tasks newest first with pagination and deletes them", async () => {
    const { client, source, target } = await tenantWithConnectors();
    for (const name of ["one", "two", "three"]) await client.post("/tasks", { name, sourceId: source, targetId: target });
    const page1 = await client.get("/tasks?limit=2");
    expect(page1.json.items.map((t: { name: string }) => t.name)).toEqual(["three", "two"]);
    const page2 = await client.get(`/tasks?limit=2&cursor=${encodeURIComponent(page1.json.nextCursor)}`);
    expect(page2.json.items.map((t: { name: string }) => t.name)).toEqual(["one"]);
    expect(page2.json.nextCursor).toBeNull();
    const id = page2.json.items[0].id;
    expect((await client.delete(`/tasks/${id}`)).status).toBe(204);
    expect((await client.get(`/tasks/${id}`)).status).toBe(404);
  });

  it("lists a task's runs (none yet) and answers 404 for unknown runs", async () => {
    const { client, source, target } = await tenantWithConnectors();
    const id = (await client.post("/tasks", { name: "t", sourceId: source, targetId: target })).json.id;
    const runs = await client.get(`/tasks/${id}/runs`);
    expect(runs.status).toBe(200);
    expect(runs.json).toEqual({ items: [], nextCursor: null });
    const missing = await client.get("/runs/run_missing");
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe("NOT_FOUND");
  });

  it("another tenant's task answers 404 everywhere", async () => {
    const owner = await tenantWithConnectors();
    const other = await tenantWithConnectors();
    const id = (await owner.client.post("/tasks", { name: "t", sourceId: owner.source, targetId: owner.target })).json.id;
    for (const res of [
      await other.client.get(`/tasks/${id}`),
      await other.client.patch(`/tasks/${id}`, { name: "x" }),
      await other.client.get(`/tasks/${id}/runs`),
      await other.client.delete(`/tasks/${id}`),
    ]) {
      expect(res.status).toBe(404);
      expect(res.json.error.code).toBe("NOT_FOUND");
    }
    expect((await owner.client.get(`/tasks/${id}`)).json.name).toBe("t");
  });
});
