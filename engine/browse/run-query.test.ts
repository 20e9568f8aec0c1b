import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import WebSocket from "ws";
import { openPostgres } from "../db/postgres-js";
import type { Queryable } from "../db/queryable";
import { bothAdapters, createScratchDatabase, type ScratchDatabase } from "../db/scratch-database";
import { AppError, isAppError } from "../errors/app-error";
import { runQuery, type RunQueryOptions } from "./run-query";

let db: ScratchDatabase;
beforeAll(async () => {
  db = await createScratchDatabase(inject("pgUrl"), "browse");
  const admin = openPostgres(db.url);
  try {
    await admin.query(`CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`);
    await admin.query(`CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2))`);
    await admin.query(`INSERT INTO items SELECT g, 'item ' || g, g * 1.5 FROM generate_series(1, 250) g`);
    await admin.query(`CREATE TABLE x (id int)`);
    // Big and analyzed, so the planner picks the key's index for one id whatever autovacuum has done.
    await admin.query(`CREATE TABLE lookup AS SELECT g AS id, g::text AS label FROM generate_series(1, 20000) g`);
    await admin.query(`ALTER TABLE lookup ADD PRIMARY KEY (id)`);
    await admin.query(`ANALYZE lookup`);
    await admin.query(`CREATE SEQUENCE s`);
  } finally {
    await admin.close();
  }
});
afterAll(() => db.drop());

const fail = async (q: Queryable, sql: string, options?: RunQueryOptions): Promise<AppError> => {
  const e = await runQuery(q, sql, options).then(
    () => new Error("expected the query to be refused"),
    (err: unknown) => err,
  );
  if (!isAppError(e)) throw e;
  return e;
};

const VALUES_SQL = `SELECT 9007199254740993::int8 AS big, 1.10::numeric(10,2) AS num, 7::int2 AS small, 2.5::float8 AS f,
  'NaN'::float4 AS nan, true AS yes, '\\xdeadbeef'::bytea AS bin, '2024-01-02 03:04:05.123456+02'::timestamptz AS tz,
  '2024-01-02 03:04:05'::timestamp AS ts, '2024-02-03'::date AS d, '{"a": [1, 2.5, null]}'::jsonb AS doc,
  ARRAY[1, NULL, 3] AS ints, '{{"a",NULL},{"b\\"c","d,e"}}'::text[] AS texts, ARRAY['ok', 'sad']::mood[] AS moods,
  'happy'::mood AS m, '[1,3)'::int4range AS r, '1 day 02:00:00'::interval AS iv, NULL::text AS nothing,
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS u, ARRAY['2024-01-01 00:00:00+00'::timestamptz] AS tzs,
  '{"k": "v"}'::json AS j`;

const VALUES_COLUMNS = [
  ["big", "bigint"], ["num", "numeric"], ["small", "smallint"], ["f", "double precision"], ["nan", "real"],
  ["yes", "boolean"], ["bin", "bytea"], ["tz", "timestamp with time zone"], ["ts", "timestamp without time zone"],
  ["d", "date"], ["doc", "jsonb"], ["ints", "integer[]"], ["texts", "text[]"], ["moods", "mood[]"], ["m", "mood"],
  ["r", "int4range"], ["iv", "interval"], ["nothing", "text"], ["u", "uuid"], ["tzs", "timestamp with time zone[]"],
  ["j", "json"],
].map(([name, type]) => ({ name, type }));

const VALUES_ROW = [
  "9007199254740993", "1.10", 7, 2.5, "NaN", true, "\\xdeadbeef", "2024-01-02T01:04:05.123456Z", "2024-01-02T03:04:05",
  "2024-02-03", { a: [1, 2.5, null] }, [1, null, 3], [["a", null], ['b"c', "d,e"]], ["ok", "sad"], "happy", "[1,3)",
  "1 day 02:00:00", null, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", ["2024-01-01T00:00:00Z"], { k: "v" },
];

describe.each(bothAdapters(inject("neonProxy"), WebSocket as never))("browser over %s", (_adapter, open) => {
  let q: Queryable;
  beforeAll(async () => {
    q = await open(db.url);
  });
  afterAll(() => q.close());

  it("returns at most limit rows and says when there were more", async () => {
    const result = await runQuery(q, "SELECT id, name, price FROM items ORDER BY id", { limit: 3 });
    expect(result).toMatchObject({
      columns: [{ name: "id", type: "integer" }, { name: "name", type: "text" }, { name: "price", type: "numeric" }],
      rows: [[1, "item 1", "1.50"], [2, "item 2", "3.00"], [3, "item 3", "4.50"]],
      rowCount: 3,
      truncated: true,
    });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    const all = await runQuery(q, "TABLE items");
    expect([all.rowCount, all.truncated]).toEqual([100, true]);
    const exact = await runQuery(q, "select id from items where id <= 5 order by id", { limit: 5 });
    expect([exact.rows, exact.truncated]).toEqual([[[1], [2], [3], [4], [5]], false]);
  });

  it("converts values to JSON-safe ones", async () => {
    const result = await runQuery(q, VALUES_SQL);
    expect(result.columns).toEqual(VALUES_COLUMNS);
    expect(result.rows).toEqual([VALUES_ROW]);
  });

  it("refuses writes inside the read-only transaction and leaves the table unchanged", async () => {
    const digest = "SELECT count(*) AS n, md5(string_agg(id || ':' || name || ':' || price, ',' ORDER BY id)) AS h FROM items";
    const before = await runQuery(q, digest);
    for (const sql of [
      "INSERT INTO items VALUES (1000, 'new', 1)",
      "update items set name = 'changed'",
      "DELETE FROM items",
      "WITH d AS (DELETE FROM items RETURNING *) SELECT count(*) FROM d",
      "SELECT nextval('s')",
      "CREATE TABLE y (id int)",
      "TRUNCATE items",
      "SELECT * FROM items FOR UPDATE",
    ]) {
      const err = await fail(q, sql);
      expect([sql, err.code, err.status]).toEqual([sql, "READ_ONLY_VIOLATION", 400]);
    }
    const after = await runQuery(q, digest);
    expect(after.rows).toEqual(before.rows);
    expect(after.rows[0]?.[0]).toBe("250");
    expect((await runQuery(q, "SELECT sum(length(name)) AS len, max(id) AS top FROM items")).rows).toEqual([["1892", 250]]);
    expect((await runQuery(q, "SELECT to_regclass('y') IS NULL AS gone")).rows).toEqual([[true]]);
  });

  it("cancels a query at the statement timeout", async () => {
    const started = Date.now();
    const err = await fail(q, "SELECT pg_sleep(10)", { timeoutMs: 300 });
    expect([err.code, err.status, err.message]).toEqual(["QUERY_TIMEOUT", 400, "The query ran longer than 300 ms and was cancelled."]);
    expect((err.details as { sqlstate: string }).sqlstate).toBe("57014");
    expect(Date.now() - started).toBeLessThan(5000);
    // The connection is usable afterwards: the failed transaction was rolled back.
    expect((await runQuery(q, "select 1 as one")).rows).toEqual([[1]]);
  });

  it("refuses more than one statement before sending anything", async () => {
    const err = await fail(q, "select 1; drop table x");
    expect([err.code, err.status, err.details]).toEqual(["MULTIPLE_STATEMENTS", 400, { statements: 2 }]);
    expect((await runQuery(q, "SELECT to_regclass('x') IS NOT NULL AS still_there")).rows).toEqual([[true]]);
  });

  it.each(["commit", "  -- c\n Begin", "ROLLBACK", "set transaction read write", "SET statement_timeout = 0", "reset all", "copy items to stdout", "do $$ begin end $$", "call p()", "listen x", "lock items", "savepoint a", "prepare p as select 1", "discard all"])(
    "refuses transaction and session control: %j",
    async (sql) => {
      const err = await fail(q, sql);
      expect([err.code, err.status]).toEqual(["STATEMENT_NOT_ALLOWED", 400]);
    },
  );

  it("accepts semicolons inside strings, identifiers, dollar quotes and comments", async () => {
    const sql = `/* lead; */ SELECT 'a;b' AS s, E'c\\';d' AS e, $$f;g$$ AS dq, $t$h;$$;i$t$ AS tagged, "x;y".v
      FROM (SELECT 1 AS v) AS "x;y" /* a; /* nested; */ b; */ -- tail; comment
      ;`;
    const result = await runQuery(q, sql);
    expect(result.columns.map((c) => c.name)).toEqual(["s", "e", "dq", "tagged", "v"]);
    expect(result.rows).toEqual([["a;b", "c';d", "f;g", "h;$$;i", 1]]);
  });

  it("reports SQL errors with PostgreSQL's message, SQLSTATE and position in the text sent", async () => {
    const err = await fail(q, "/* x */ SELECT nope FROM items");
    expect([err.code, err.status, err.message]).toEqual(["QUERY_FAILED", 400, 'column "nope" does not exist']);
    expect(err.details).toEqual({ sqlstate: "42703", message: 'column "nope" does not exist', position: 16 });
    const direct = await fail(q, "\n  EXPLAIN SELECT nope");
    expect(direct.details).toEqual({ sqlstate: "42703", message: 'column "nope" does not exist', position: 19 });
    expect((await fail(q, "SELECT 1/0")).details).toEqual({ sqlstate: "22012", message: "division by zero" });
    expect((await fail(q, "  ")).code).toBe("EMPTY_QUERY");
    expect((await fail(q, "select 1", { limit: 1001 })).code).toBe("INVALID_LIMIT");
  });

  it("runs statements a cursor cannot hold directly, still read-only", async () => {
    expect(await runQuery(q, "SHOW TimeZone")).toMatchObject({ columns: [{ name: "TimeZone", type: "text" }], rows: [["UTC"]], truncated: false });
    const plan = await runQuery(q, "EXPLAIN (COSTS OFF) SELECT * FROM lookup WHERE id = 1");
    expect(plan.columns).toEqual([{ name: "QUERY PLAN", type: "text" }]);
    expect(plan.rows).toEqual([["Index Scan using lookup_pkey on lookup"], ["  Index Cond: (id = 1)"]]);
    expect(await runQuery(q, "EXPLAIN (COSTS OFF) SELECT * FROM lookup WHERE id = 1", { limit: 1 })).toMatchObject({ rowCount: 1, truncated: true });
  });
});

it("gives the same results over both adapters", async () => {
  const results = [];
  for (const [, open] of bothAdapters(inject("neonProxy"), WebSocket as never)) {
    const q = await open(db.url);
    const { durationMs: _a, ...values } = await runQuery(q, VALUES_SQL);
    const { durationMs: _b, ...items } = await runQuery(q, "SELECT * FROM items ORDER BY id", { limit: 1000 });
    results.push({ values, items });
    await q.close();
  }
  expect(results[1]).toEqual(results[0]);
  expect(results[0]?.items.rowCount).toBe(250);
});
