import postgres from "postgres";
import { describe, expect, it } from "vitest";
import { ALL_TYPES_SCHEMA, ALL_TYPES_TABLE, allTypesSql } from "../../engine/test-support/all-types";
import { CHINOOK_TABLES, loadChinook } from "../../engine/test-support/chinook";
import { tableDigest } from "../../engine/test-support/table-digest";
import { StackClient } from "../support/api-client";
import { useLocalStack } from "../support/stack-fixture";

const fixture = useLocalStack();
const { setup, urlOf } = fixture;

async function expectEqual(source: postgres.Sql, target: postgres.Sql, schema: string, name: string, targetRef = { schema, name }) {
  const [s, t] = await Promise.all([tableDigest(source, { schema, name }), tableDigest(target, targetRef)]);
  expect(t, `${schema}.${name}`).toEqual(s);
  return s;
}

describe("the local stack", () => {
  it("seeds the demo tenant with working connectors to the embedded databases", async () => {
    const api = new StackClient(fixture.stack().origin);
    await api.expectOk("POST", "/auth/login", fixture.stack().demo);
    const connectors = (await api.expectOk("GET", "/connectors")).items;
    expect(connectors.map((c: { name: string }) => c.name).sort()).toEqual(["demo_source", "demo_target"]);
    for (const c of connectors) {
      const test = await api.expectOk("POST", `/connectors/${c.id}/test`);
      expect(test).toMatchObject({ ok: true, cdc: { ready: true } });
    }
    const source = connectors.find((c: { name: string }) => c.name === "demo_source");
    const tables = (await api.expectOk("GET", `/connectors/${source.id}/tables`)).items;
    expect(tables.map((t: { schema: string; name: string }) => `${t.schema}.${t.name}`).sort()).toEqual([
      "inventory.Products",
      "public.customers",
      "public.events_log",
      "public.order_items",
      "public.orders",
      "public.refunds",
    ]);
    const rows = await api.expectOk("POST", `/connectors/${source.id}/query`, { sql: "select count(*) from orders", limit: 1 });
    expect(rows.rows).toEqual([["5000"]]);
    const write = await api.post(`/connectors/${source.id}/query`, { sql: "delete from orders" });
    expect(write.json.error.code).toBe("READ_ONLY_VIOLATION");
    expect(JSON.stringify(connectors)).not.toContain(new URL(fixture.stack().pgUrl).password);
  }, 60_000);
});

describe("full load through the local stack", () => {
  it("copies Chinook: every table row-for-row equal, keys and indexes rebuilt", async () => {
    const { api, source, target, createTask } = await setup("chinook", (sql) => loadChinook(sql));
    const run = await api.runToEnd(await createTask({ options: { chunkRows: 1000 } }));
    expect(run.status, JSON.stringify(run.error)).toBe("succeeded");
    expect(run.tables.map((t: { sourceTable: string }) => t.sourceTable).sort()).toEqual([...CHINOOK_TABLES].sort());
    for (const table of CHINOOK_TABLES) {
      const digest = await expectEqual(source, target, "public", table);
      const reported = run.tables.find((t: { sourceTable: string }) => t.sourceTable === table);
      expect(reported).toMatchObject({ status: "succeeded", rowsCopied: digest.count, validation: "passed" });
      expect(reported.chunksDone).toBe(reported.chunksTotal);
    }
    const [pk] = await target<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_constraint WHERE contype = 'p' AND connamespace = 'public'::regnamespace`;
    expect(pk!.n).toBe(CHINOOK_TABLES.length);
    // A table of one chunk is finished by its copy job; only tables of several get a finish job.
    const multiChunk = run.tables.filter((t: { chunksTotal: number }) => t.chunksTotal > 1).length;
    expect(multiChunk).toBeGreaterThan(0);
    expect(multiChunk).toBeLessThan(CHINOOK_TABLES.length);
    const finishJobs = fixture.stack().output.filter((l) => l.includes("job succeeded") && l.includes(run.id) && l.includes("job=finish_table"));
    expect(finishJobs).toHaveLength(multiChunk);
    // Small one-chunk tables go to the runner in batches: several tables per request.
    const batched = fixture
      .stack()
      .output.filter((l) => l.includes("batch started") && l.includes(run.id))
      .map((l) => Number(/jobs=(\d+)/.exec(l)?.[1]));
    expect(batched.length).toBeGreaterThan(0);
    expect(Math.max(...batched)).toBeGreaterThan(1);
    expect(batched.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(CHINOOK_TABLES.length - multiChunk);
    // Every foreign key of the script, recreated after the load and validated.
    const keys = (sql: typeof source) =>
      sql<{ d: string }[]>`SELECT conrelid::regclass::text || ' ' || conname || ': ' || pg_get_constraintdef(oid) || ' ' || convalidated AS d
                             FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace ORDER BY 1`;
    const [want, got] = await Promise.all([keys(source), keys(target)]);
    expect(want).toHaveLength(11);
    expect(got).toEqual(want);
    const logs = await api.expectOk("GET", `/runs/${run.id}/logs`);
    const messages = logs.items.map((l: { message: string }) => l.message);
    expect(messages).toContain("run succeeded");
    expect(logs.items.find((l: { message: string }) => l.message === "foreign keys added").fields).toEqual({ added: 11 });
    expect(messages).not.toContain("constraints not copied");
  }, 120_000);

  it("copies every type, awkward identifiers, no-key, composite-key, empty and large tables", async () => {
    const { api, source, target, createTask } = await setup("shapes", async (sql) => {
      await sql.unsafe(allTypesSql());
      await sql.unsafe(`
        CREATE TABLE public.no_key (a int, b text);
        INSERT INTO public.no_key SELECT g % 7, 'row ' || (g % 3) FROM generate_series(1, 5000) g;
        CREATE TABLE public.composite (region text, id int, v numeric, PRIMARY KEY (region, id));
        INSERT INTO public.composite SELECT (ARRAY['eu','us','apac'])[1 + g % 3], g, g * 1.5 FROM generate_series(1, 30000) g;
        CREATE TABLE public.empty_one (id int PRIMARY KEY, note text);
        CREATE TABLE public.big (id bigint PRIMARY KEY, payload text, amount numeric(12,2), at timestamptz);
        INSERT INTO public.big SELECT g, md5(g::text), g / 100.0, '2024-01-01'::timestamptz + g * interval '1 second' FROM generate_series(1, 1000000) g;
      `);
    });
    const run = await api.runToEnd(await createTask({ tables: { include: ["public.*", "My Schema.*"] }, options: { chunkRows: 100000 } }), { timeoutMs: 180_000 });
    expect(run.status, JSON.stringify(run.error)).toBe("succeeded");
    await expectEqual(source, target, ALL_TYPES_SCHEMA, ALL_TYPES_TABLE);
    await expectEqual(source, target, ALL_TYPES_SCHEMA, "binary_twin");
    for (const t of ["no_key", "composite", "empty_one", "big"]) await expectEqual(source, target, "public", t);
    const big = run.tables.find((t: { sourceTable: string }) => t.sourceTable === "big");
    expect(big.chunksTotal).toBeGreaterThanOrEqual(5);
    expect(big.rowsCopied).toBe(1_000_000);
    expect(run.rowsCopied).toBe(run.tables.reduce((s: number, t: { rowsCopied: number }) => s + t.rowsCopied, 0));
  }, 240_000);

  it("copies 70 small tables in batches of at most 32: every table equal, validated and keyed", async () => {
    const names = Array.from({ length: 70 }, (_, i) => `s_${String(i).padStart(2, "0")}`);
    const { api, source, target, createTask } = await setup(
      "many",
      names.map((n, i) => `CREATE TABLE public.${n} (id int PRIMARY KEY, v text, at timestamptz); CREATE INDEX ON public.${n} (v);
        INSERT INTO public.${n} SELECT g, 't${i} ' || g, timestamptz '2024-01-01' + g * interval '1 second' FROM generate_series(1, ${i * 7}) g;`).join("\n"),
    );
    const run = await api.runToEnd(await createTask({ options: { parallelTables: 2 } }), { timeoutMs: 120_000 });
    expect(run.status, JSON.stringify(run.error)).toBe("succeeded");
    expect(run.tables.map((t: { validation: string }) => t.validation)).toEqual(names.map(() => "passed"));
    for (const n of names) await expectEqual(source, target, "public", n);
    const [keys] = await target<{ pk: number; idx: number }[]>`SELECT count(*) FILTER (WHERE indisprimary)::int AS pk, count(*) FILTER (WHERE NOT indisprimary)::int AS idx
      FROM pg_index WHERE indrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relname LIKE 's\\_%')`;
    expect(keys).toEqual({ pk: 70, idx: 70 });
    const batches = fixture
      .stack()
      .output.filter((l) => l.includes("batch started") && l.includes(run.id))
      .map((l) => Number(/jobs=(\d+)/.exec(l)?.[1]));
    expect(batches.reduce((a, b) => a + b, 0)).toBe(70);
    expect(Math.max(...batches)).toBe(32);
    expect(batches.length).toBeGreaterThanOrEqual(3);
  }, 180_000);

  it("keeps partitions, serial sequences, user collations and foreign keys, under templated names", async () => {
    const { api, source, target, createTask } = await setup("schema", `
      CREATE SCHEMA app;
      CREATE COLLATION app.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
      CREATE TABLE app.accounts (id serial PRIMARY KEY, email text COLLATE app.ci UNIQUE);
      CREATE TABLE app.events (id bigint, at date, account int REFERENCES app.accounts, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
      CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
      CREATE TABLE app.events_other PARTITION OF app.events DEFAULT;
      INSERT INTO app.accounts (email) SELECT 'A' || g || '@x' FROM generate_series(1, 300) g;
      INSERT INTO app.events SELECT g, date '2024-06-01' + (g % 400), 1 + g % 300 FROM generate_series(1, 3000) g;
    `);
    const run = await api.runToEnd(await createTask({ tables: { include: ["app.*"] }, options: { targetSchema: "${schema}_copy" } }));
    expect(run.status, JSON.stringify(run.error)).toBe("succeeded");
    for (const t of ["accounts", "events"]) await expectEqual(source, target, "app", t, { schema: "app_copy", name: t });
    const [row] = await target<{ id: number }[]>`INSERT INTO app_copy.accounts (email) VALUES ('new@x') RETURNING id`;
    expect(row!.id).toBe(301);
    await expect(target`INSERT INTO app_copy.accounts (email) VALUES ('a1@X')`).rejects.toMatchObject({ code: "23505" });
    const parts = await target<{ name: string }[]>`SELECT relid::regclass::text AS name FROM pg_partition_tree('app_copy.events') ORDER BY 1`;
    expect(parts.map((p) => p.name)).toEqual(["app_copy.events", "app_copy.events_2024", "app_copy.events_other"]);
    await expect(target`INSERT INTO app_copy.events VALUES (99999, '2024-07-01', 999)`).rejects.toMatchObject({ code: "23503" });
  }, 60_000);

  it("applies row filters, variables and target name templates", async () => {
    const { api, source, target, createTask } = await setup("filters", `
      CREATE TABLE public.sales (id int PRIMARY KEY, region text, amount int);
      INSERT INTO public.sales SELECT g, (ARRAY['eu','us'])[1 + g % 2], g FROM generate_series(1, 1000) g;
    `);
    const task = await createTask({
      tables: { include: ["public.sales"], filters: { "public.sales": [{ column: "region", op: "=", value: "${region}" }, { column: "amount", op: ">", value: 100 }] } },
      options: { targetSchema: "${env}_copy", targetTable: "${table}_${region}" },
      variables: { env: "dev", region: "us" },
    });
    const run = await api.runToEnd(task, { body: { variables: { region: "eu" } } });
    expect(run.status, JSON.stringify(run.error)).toBe("succeeded");
    expect(run.tables[0]).toMatchObject({ targetSchema: "dev_copy", targetTable: "sales_eu", rowsCopied: 450 });
    const [expected] = await source<{ n: number }[]>`SELECT count(*)::int AS n FROM sales WHERE region = 'eu' AND amount > 100`;
    const [copied] = await target<{ n: number }[]>`SELECT count(*)::int AS n FROM dev_copy.sales_eu WHERE region = 'eu' AND amount > 100`;
    const [all] = await target<{ n: number }[]>`SELECT count(*)::int AS n FROM dev_copy.sales_eu`;
    expect([copied!.n, all!.n]).toEqual([expected!.n, expected!.n]);

    // Validation at a quiet point compares the filtered source with the target, then catches a drifted row.
    const passed = await api.expectOk("POST", `/runs/${run.id}/validate`);
    expect(passed).toMatchObject({ result: "passed", tables: [{ source: "public.sales", target: "dev_copy.sales_eu", sourceRows: 450, targetRows: 450, equal: true }] });
    await target.unsafe("UPDATE dev_copy.sales_eu SET amount = amount + 1 WHERE id = 500");
    const failed = await api.expectOk("POST", `/runs/${run.id}/validate`);
    expect(failed.result).toBe("failed");
    expect(failed.tables[0].mismatchedChunks).toHaveLength(1);
    const after = await api.expectOk("GET", `/runs/${run.id}`);
    expect(after.validation.result).toBe("failed");
    expect(after.tables[0].validation).toBe("failed");
  }, 60_000);

  it("survives the runner being killed mid-chunk: succeeded, equal, no duplicates", async () => {
    const { api, source, target, createTask } = await setup("kill", `
      CREATE TABLE public.orders (id bigint PRIMARY KEY, customer int, amount numeric(12,2), note text);
      INSERT INTO public.orders SELECT g, g % 1000, g * 0.01, repeat('x', 50) FROM generate_series(1, 1500000) g;
    `);
    const task = await createTask({ options: { chunkRows: 300000, maxRetries: 5, retryDelaySeconds: 1 } });
    const { runId } = await api.expectOk("POST", `/tasks/${task}/start`);
    const retried = async () =>
      (await api.expectOk("GET", `/runs/${runId}/logs?limit=1000`)).items.some((l: { message: string }) => l.message === "attempt failed; retrying");
    let kills = 0;
    let killedAt = 0;
    let hit = false;
    const run = await api.waitForRun(runId, {
      timeoutMs: 180_000,
      onPoll: async (r) => {
        if (hit || kills >= 3 || r.phase !== "copying" || r.rowsCopied === 0 || Date.now() - killedAt < 2000) return;
        // A chunk can finish between the look and the kill, which then interrupts nothing: look again.
        if (kills > 0 && (hit = await retried())) return;
        // Only while the runner has a chunk in hand: a kill between chunks would merely delay a queued one.
        if ((await fixture.stack().runnerActiveJobs()) > 0) {
          process.kill(await fixture.stack().runnerPid(), "SIGKILL");
          kills++;
          killedAt = Date.now();
        }
      },
    });
    expect(kills).toBeGreaterThan(0);
    expect(run.status, JSON.stringify(run.error)).toBe("succeeded");
    const digest = await expectEqual(source, target, "public", "orders");
    expect(digest.count).toBe(1_500_000);
    const [dupes] = await target<{ n: number }[]>`SELECT count(*)::int AS n FROM (SELECT id FROM orders GROUP BY id HAVING count(*) > 1) d`;
    expect(dupes!.n).toBe(0);
    expect(await retried()).toBe(true);
  }, 240_000);

  it("fails with AUTH_FAILED when the target password is wrong", async () => {
    const { api, sourceId, targetDb } = await setup("auth", "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1);");
    const badTarget = await api.createConnector("bad-target", urlOf(targetDb, "not-the-password"));
    const task = (await api.expectOk("POST", "/tasks", { name: "auth", sourceId, targetId: badTarget })).id;
    const run = await api.runToEnd(task);
    expect(run).toMatchObject({ status: "failed", error: { code: "AUTH_FAILED" } });
    expect(JSON.stringify(run)).not.toContain("not-the-password");
  }, 60_000);

  it("fails with TABLE_MISSING when a source table is dropped mid-run", async () => {
    const { api, source, createTask } = await setup("dropped", `
      CREATE TABLE public.a_first (id bigint PRIMARY KEY, v text);
      INSERT INTO public.a_first SELECT g, md5(g::text) FROM generate_series(1, 800000) g;
      CREATE TABLE public.b_second (id int PRIMARY KEY);
      INSERT INTO public.b_second SELECT generate_series(1, 10);
    `);
    const task = await createTask({ options: { parallelTables: 1, chunkRows: 100000, maxRetries: 0 } });
    const { runId } = await api.expectOk("POST", `/tasks/${task}/start`);
    let dropped = false;
    const run = await api.waitForRun(runId, {
      onPoll: async (r) => {
        if (!dropped && r.phase === "copying") {
          await source.unsafe("DROP TABLE public.b_second");
          dropped = true;
        }
      },
    });
    expect(dropped).toBe(true);
    expect(run).toMatchObject({ status: "failed", error: { code: "TABLE_MISSING" } });
    expect(run.tables.find((t: { sourceTable: string }) => t.sourceTable === "b_second")).toMatchObject({ status: "failed", error: { code: "TABLE_MISSING" } });
  }, 120_000);
});
