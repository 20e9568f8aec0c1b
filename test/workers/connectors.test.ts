import { beforeAll, describe, expect, it } from "vitest";
import { signUp } from "./support/client";
import { adminSql, createDatabase, pgUrlFor as pgUrlForUser } from "./support/postgres";

// A role of our own with a distinctive password, so "the password is in no response" can be checked.
const ROLE = { name: `tester_${Math.random().toString(36).slice(2, 8)}`, password: `Pw-${crypto.randomUUID()}` };
const PG_PASSWORD = ROLE.password;
const pgUrlFor = (db: string, user = ROLE) => pgUrlForUser(db, user);

let sourceDb: string;
beforeAll(async () => {
  await adminSql().unsafe(`create role "${ROLE.name}" login superuser password '${ROLE.password}'`);
  sourceDb = await createDatabase("conn_src", async (sql) => {
    await sql.unsafe(`
      create table public.customers (id bigint primary key, name text not null, email text);
      insert into public.customers select g, 'customer ' || g, 'c' || g || '@example.test' from generate_series(1, 250) g;
      create table public."Order Items" ("order" int, line int, qty numeric(10,2), primary key ("order", line));
      create table public.events (at timestamptz, payload jsonb);
      analyze;
    `);
  });
});

function expectNoSecret(text: string, ...secrets: string[]) {
  for (const s of secrets) if (s) expect(text).not.toContain(s);
}

describe("connectors", () => {
  it("creates from a URL, masks the password everywhere, and never returns the secret", async () => {
    const { client } = await signUp();
    const url = "postgres://app_user:s3cr3t-P%40ss@db.example.com:6543/app?sslmode=require";
    const created = await client.post("/connectors", { name: "prod", kind: "postgres", url });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      name: "prod",
      kind: "postgres",
      host: "db.example.com",
      port: 6543,
      database: "app",
      user: "app_user",
      url: "postgres://app_user:****@db.example.com:6543/app?sslmode=require",
    });
    const got = await client.get(`/connectors/${created.json.id}`);
    const list = await client.get("/connectors");
    for (const res of [created, got, list]) expectNoSecret(res.text, "s3cr3t", "P%40ss", "P@ss");
    expect(list.json.items.map((c: { id: string }) => c.id)).toEqual([created.json.id]);
  });

  it("creates from discrete fields", async () => {
    const { client } = await signUp();
    const res = await client.post("/connectors", { name: "f", host: "10.0.0.5", database: "shop", user: "me", password: "pw-fields-1", sslmode: "disable" });
    expect(res.status).toBe(201);
    expect(res.json.url).toBe("postgres://me:****@10.0.0.5:5432/shop?sslmode=disable");
    expectNoSecret(res.text, "pw-fields-1");
  });

  it.each([
    ["mysql://u:p@h/db", "INVALID_CONNECTION_URL"],
    ["not a url", "INVALID_CONNECTION_URL"],
    ["postgres://u:p@h:5432/", "INVALID_CONNECTION_URL"],
    ["postgres://:p@h:5432/db", "INVALID_CONNECTION_URL"],
  ])("rejects url %s with 400 %s and does not echo it", async (url, code) => {
    const { client } = await signUp();
    const res = await client.post("/connectors", { name: "bad", url });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe(code);
    expect((await client.get("/connectors")).json.items).toHaveLength(0);
  });

  it.each([
    [{ name: "x" }, "VALIDATION_FAILED"],
    [{ name: "x", url: "postgres://u:p@h/db", host: "h" }, "VALIDATION_FAILED"],
    [{ name: "x", kind: "mysql", url: "postgres://u:p@h/db" }, "VALIDATION_FAILED"],
    [{ name: "", url: "postgres://u:p@h/db" }, "VALIDATION_FAILED"],
    [{ name: "x", host: "h", database: "d", user: "u", port: 70000 }, "VALIDATION_FAILED"],
  ])("rejects %j with 400 %s", async (body, code) => {
    const { client } = await signUp();
    const res = await client.post("/connectors", body);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe(code);
  });

  it("refuses a duplicate name (409 NAME_TAKEN)", async () => {
    const { client } = await signUp();
    await client.post("/connectors", { name: "dup", url: "postgres://u:p@h/db" });
    const res = await client.post("/connectors", { name: "dup", url: "postgres://u:p@h/db2" });
    expect(res.status).toBe(409);
    expect(res.json.error.code).toBe("NAME_TAKEN");
  });

  it("updates name, single fields (keeping the password) and the whole URL", async () => {
    const { client } = await signUp();
    const pw = PG_PASSWORD;
    const created = await client.post("/connectors", { name: "src", url: pgUrlFor(sourceDb).replace(`/${sourceDb}`, "/postgres") });
    const id = created.json.id;
    const renamed = await client.patch(`/connectors/${id}`, { name: "renamed", database: sourceDb });
    expect(renamed.status).toBe(200);
    expect(renamed.json).toMatchObject({ name: "renamed", database: sourceDb });
    expectNoSecret(renamed.text, pw);
    // The kept password still works: the test really connects.
    const test = await client.post(`/connectors/${id}/test`);
    expect(test.json.ok).toBe(true);
    const replaced = await client.patch(`/connectors/${id}`, { url: "postgres://other:newpass@example.org/x" });
    expect(replaced.json).toMatchObject({ host: "example.org", user: "other", database: "x", url: "postgres://other:****@example.org:5432/x" });
    expectNoSecret(replaced.text, "newpass");
  });

  it("tests a real connection: version, latency and CDC readiness", async () => {
    const { client } = await signUp();
    const id = (await client.post("/connectors", { name: "src", url: pgUrlFor(sourceDb) })).json.id;
    const res = await client.post(`/connectors/${id}/test`);
    expect(res.status).toBe(200);
    expect(res.json.ok).toBe(true);
    expect(res.json.serverVersion).toMatch(/^\d+/);
    expect(res.json.latencyMs).toBeGreaterThanOrEqual(0);
    expect(res.json.cdc.ready).toBe(true);
    expectNoSecret(res.text, PG_PASSWORD);
  });

  it("reports a wrong password as AUTH_FAILED without leaking it", async () => {
    const { client } = await signUp();
    const url = pgUrlFor(sourceDb, { name: ROLE.name, password: "definitely-wrong-pw" });
    const id = (await client.post("/connectors", { name: "bad", url })).json.id;
    const res = await client.post(`/connectors/${id}/test`);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ ok: false, error: { code: "AUTH_FAILED" } });
    expectNoSecret(res.text, "definitely-wrong-pw");
  });

  it("reports a closed port as DATABASE_UNREACHABLE", async () => {
    const { client } = await signUp();
    const id = (await client.post("/connectors", { name: "closed", url: "postgres://u:secret-closed@127.0.0.1:1/db" })).json.id;
    const res = await client.post(`/connectors/${id}/test`);
    expect(res.json).toMatchObject({ ok: false, error: { code: "DATABASE_UNREACHABLE" } });
    expectNoSecret(res.text, "secret-closed");
    const tables = await client.get(`/connectors/${id}/tables`);
    expect(tables.status).toBe(502);
    expect(tables.json.error.code).toBe("DATABASE_UNREACHABLE");
  });

  it("lists tables with columns, keys and estimates", async () => {
    const { client } = await signUp();
    const id = (await client.post("/connectors", { name: "src", url: pgUrlFor(sourceDb) })).json.id;
    const res = await client.get(`/connectors/${id}/tables`);
    expect(res.status).toBe(200);
    const byName = Object.fromEntries(res.json.items.map((t: { schema: string; name: string }) => [`${t.schema}.${t.name}`, t]));
    expect(Object.keys(byName).sort()).toEqual(["public.Order Items", "public.customers", "public.events"]);
    expect(byName["public.customers"].primaryKey).toEqual(["id"]);
    expect(byName["public.customers"].estimatedRows).toBe(250);
    expect(byName["public.customers"].columns.map((c: { name: string; dataType: string }) => [c.name, c.dataType])).toEqual([
      ["id", "bigint"],
      ["name", "text"],
      ["email", "text"],
    ]);
    expect(byName["public.Order Items"].primaryKey).toEqual(["order", "line"]);
    expect(byName["public.events"].primaryKey).toEqual([]);
  });

  it("runs read-only queries with a row limit, refuses writes and long queries", async () => {
    const { client } = await signUp();
    const id = (await client.post("/connectors", { name: "src", url: pgUrlFor(sourceDb) })).json.id;
    const q = (sql: string, limit?: number) => client.post(`/connectors/${id}/query`, { sql, limit });

    const ok = await q("select id, name from customers order by id", 10);
    expect(ok.status).toBe(200);
    expect(ok.json.columns.map((c: { name: string }) => c.name)).toEqual(["id", "name"]);
    expect(ok.json.rows).toHaveLength(10);
    expect(ok.json.rows[0]).toEqual(["1", "customer 1"]);
    expect(ok.json.truncated).toBe(true);

    const write = await q("delete from customers");
    expect(write.status).toBe(400);
    expect(write.json.error.code).toBe("READ_ONLY_VIOLATION");
    const count = await q("select count(*) as n from customers");
    expect(count.json.rows).toEqual([["250"]]);

    const multi = await q("select 1; delete from customers");
    expect(multi.status).toBe(400);
    expect(multi.json.error.code).toBe("MULTIPLE_STATEMENTS");

    const commit = await q("commit");
    expect(commit.status).toBe(400);
    expect(commit.json.error.code).toBe("STATEMENT_NOT_ALLOWED");

    const slow = await q("select pg_sleep(30)");
    expect(slow.status).toBe(400);
    expect(slow.json.error.code).toBe("QUERY_TIMEOUT");

    const broken = await q("select nope from customers");
    expect(broken.status).toBe(400);
    expect(broken.json.error.code).toBe("QUERY_FAILED");

    const tooMany = await q("select 1", 5000);
    expect(tooMany.status).toBe(400);
    expect(tooMany.json.error.code).toBe("VALIDATION_FAILED");
  }, 20_000);

  it("reaches PostgreSQL as a neon connector through the WebSocket driver", async () => {
    const { client } = await signUp();
    const id = (await client.post("/connectors", { name: "serverless", kind: "neon", url: pgUrlFor(sourceDb) })).json.id;
    const test = await client.post(`/connectors/${id}/test`);
    expect(test.json).toMatchObject({ ok: true, cdc: { ready: true } });
    const tables = await client.get(`/connectors/${id}/tables`);
    expect(tables.json.items.map((t: { name: string }) => t.name).sort()).toEqual(["Order Items", "customers", "events"]);
    const rows = await client.post(`/connectors/${id}/query`, { sql: "select id, email from customers where id <= 2 order by id" });
    expect(rows.json.rows).toEqual([["1", "c1@example.test"], ["2", "c2@example.test"]]);
    const write = await client.post(`/connectors/${id}/query`, { sql: "update customers set name = 'x'" });
    expect(write.json.error.code).toBe("READ_ONLY_VIOLATION");
    expectNoSecret(test.text + tables.text + rows.text, PG_PASSWORD);
  });

  it("deletes a connector, and refuses while a task uses it (409 CONNECTOR_IN_USE)", async () => {
    const { client } = await signUp();
    const a = (await client.post("/connectors", { name: "a", url: "postgres://u:p@h/a" })).json.id;
    const b = (await client.post("/connectors", { name: "b", url: "postgres://u:p@h/b" })).json.id;
    const task = (await client.post("/tasks", { name: "t", sourceId: a, targetId: b })).json.id;
    const refused = await client.delete(`/connectors/${a}`);
    expect(refused.status).toBe(409);
    expect(refused.json.error.code).toBe("CONNECTOR_IN_USE");
    expect((await client.delete(`/tasks/${task}`)).status).toBe(204);
    expect((await client.delete(`/connectors/${a}`)).status).toBe(204);
    expect((await client.get(`/connectors/${a}`)).status).toBe(404);
  });

  it("another tenant's connector answers 404 on every route and stays unchanged", async () => {
    const owner = await signUp();
    const other = await signUp();
    const id = (await owner.client.post("/connectors", { name: "mine", url: pgUrlFor(sourceDb) })).json.id;
    const attempts = [
      other.client.get(`/connectors/${id}`),
      other.client.patch(`/connectors/${id}`, { name: "stolen" }),
      other.client.post(`/connectors/${id}/test`),
      other.client.get(`/connectors/${id}/tables`),
      other.client.post(`/connectors/${id}/query`, { sql: "select 1" }),
      other.client.delete(`/connectors/${id}`),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(404);
      expect(res.json.error.code).toBe("NOT_FOUND");
    }
    expect((await owner.client.get(`/connectors/${id}`)).json.name).toBe("mine");
    expect((await other.client.get("/connectors")).json.items).toHaveLength(0);
  });
});
