import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { TableRef } from "../catalog/types";
import { prepareTarget } from "../ddl/prepare-target";
import { tableDigest } from "../test-support/table-digest";
import { readTableInfo } from "../test-support/table-info";
import { connect, createTestDatabases, type TestDatabases } from "../test-support/test-databases";
import { copyChunk, FREEZE_MIN_BYTES } from "./copy-chunk";
import { finishTable } from "./finish";

const ref = (name: string): TableRef => ({ schema: "public", name });
const all = { index: 0, lo: null, hi: null, wholeTable: false };

describe("loading a table in one chunk, then finishing it", () => {
  let dbs: TestDatabases;
  beforeAll(async () => {
    dbs = await createTestDatabases(inject("pgUrl"), "finish");
    await dbs.source.unsafe(`
      CREATE TABLE one (id int PRIMARY KEY, v text);
      INSERT INTO one SELECT g, 'v' || g || repeat(md5(g::text), 60) FROM generate_series(1, 5000) g;
      CREATE TABLE small (id int PRIMARY KEY, v text);
      INSERT INTO small SELECT g, 'v' || g FROM generate_series(1, 5000) g;`);
  });
  afterAll(() => dbs?.drop());

  it("loads the only chunk of a table it created frozen, then keys it without changing the session's settings", async () => {
    const table = await readTableInfo(dbs.source, ref("one"));
    expect(table.sizeBytes).toBeGreaterThanOrEqual(FREEZE_MIN_BYTES);
    const [prepared] = await prepareTarget(dbs.source, dbs.target, [{ table, targetRef: ref("one") }]);
    expect(prepared!.created).toBe(true);
    const result = await copyChunk({ source: dbs.sourceUrl, target: dbs.targetUrl, table, targetRef: ref("one"), chunk: all, cleanRange: false, validate: true });
    const session = connect(dbs.targetUrl, 1);
    try {
      const [before] = await session.unsafe<{ v: string }[]>(`SELECT current_setting('maintenance_work_mem') AS v`);
      const finished = await finishTable({ source: dbs.source, target: session, table, targetRef: ref("one"), created: true, checksum: { chunks: [all] } });
      expect(finished.checksums).toEqual([{ index: 0, ...result.checksum! }]);
      const [after] = await session.unsafe<{ v: string }[]>(`SELECT current_setting('maintenance_work_mem') AS v`);
      expect(after!.v).toBe(before!.v);
      // Built as a unique index, then adopted: named as ADD PRIMARY KEY names it.
      const keys = await session.unsafe<{ conname: string }[]>(`SELECT conname FROM pg_constraint WHERE conrelid = 'one'::regclass AND contype = 'p'`);
      expect(keys.map((k) => k.conname)).toEqual(["one_pkey"]);
      // COPY FREEZE marks every page it fills all-visible (and frozen) at once; ANALYZE reports the count.
      const [vm] = await session.unsafe<{ filled: number; visible: number }[]>(
        `SELECT (SELECT count(DISTINCT (ctid::text::point)[0])::int FROM one) AS filled, relallvisible AS visible FROM pg_class WHERE oid = 'one'::regclass`,
      );
      expect(vm!.filled).toBeGreaterThan(0);
      expect(vm!.visible).toBeGreaterThanOrEqual(vm!.filled);
    } finally {
      await session.end();
    }
    expect(await tableDigest(dbs.target, ref("one"))).toEqual(await tableDigest(dbs.source, ref("one")));
  });

  it("loads a small table without TRUNCATE and FREEZE (not worth a new file), equal and keyed", async () => {
    const table = await readTableInfo(dbs.source, ref("small"));
    expect(table.sizeBytes).toBeLessThan(FREEZE_MIN_BYTES);
    await prepareTarget(dbs.source, dbs.target, [{ table, targetRef: ref("small") }]);
    const [file] = await dbs.target.unsafe<{ f: string }[]>(`SELECT pg_relation_filenode('small')::text AS f`);
    const result = await copyChunk({ source: dbs.sourceUrl, target: dbs.targetUrl, table, targetRef: ref("small"), chunk: all, cleanRange: false, validate: true });
    expect(result.rows).toBe(5000);
    const [after] = await dbs.target.unsafe<{ f: string }[]>(`SELECT pg_relation_filenode('small')::text AS f`);
    expect(after!.f).toBe(file!.f);
    const finished = await finishTable({ source: dbs.source, target: dbs.target, table, targetRef: ref("small"), created: true, checksum: { chunks: [all] } });
    expect(finished.checksums).toEqual([{ index: 0, ...result.checksum! }]);
    // Not frozen: no page is all-visible yet (ANALYZE counts them from the visibility map).
    const [vm] = await dbs.target.unsafe<{ visible: number }[]>(`SELECT relallvisible AS visible FROM pg_class WHERE oid = 'small'::regclass`);
    expect(vm!.visible).toBe(0);
    expect(await tableDigest(dbs.target, ref("small"))).toEqual(await tableDigest(dbs.source, ref("small")));
  });

  it("adds the source's CHECK constraints after the load, keeps NOT VALID ones unvalidated, and skips one the target cannot take", async () => {
    await dbs.source.unsafe(`
      CREATE SCHEMA rules;
      CREATE FUNCTION rules.is_even(n int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT n % 2 = 0';
      CREATE TABLE checked (id int PRIMARY KEY, qty int CHECK (qty > 0), code text, pair int,
        CONSTRAINT code_upper CHECK (code = upper(code)), CONSTRAINT pair_even CHECK (rules.is_even(pair)));
      INSERT INTO checked SELECT g, g, 'C' || g, 2 * g FROM generate_series(1, 100) g;
      ALTER TABLE checked ADD CONSTRAINT small_id CHECK (id < 1000) NOT VALID;`);
    const table = await readTableInfo(dbs.source, ref("checked"));
    await prepareTarget(dbs.source, dbs.target, [{ table, targetRef: ref("checked") }]);
    await copyChunk({ source: dbs.sourceUrl, target: dbs.targetUrl, table, targetRef: ref("checked"), chunk: all, cleanRange: false, validate: false });
    const { skipped } = await finishTable({ source: dbs.source, target: dbs.target, table, targetRef: ref("checked"), created: true });
    expect(skipped.map((s) => s.constraint)).toEqual(["pair_even"]);
    expect(skipped[0]!.reason).toMatch(/rules/);
    const checks = await dbs.target<{ conname: string; convalidated: boolean }[]>`
      SELECT conname, convalidated FROM pg_constraint WHERE conrelid = 'checked'::regclass AND contype = 'c' ORDER BY conname`;
    expect(checks).toEqual([
      { conname: "checked_qty_check", convalidated: true },
      { conname: "code_upper", convalidated: true },
      { conname: "small_id", convalidated: false },
    ]);
    await expect(dbs.target.unsafe(`INSERT INTO checked VALUES (1000000, 0, 'X', 2)`)).rejects.toMatchObject({ code: "23514" });
    // Repeating the finish (a retried job) changes nothing.
    expect((await finishTable({ source: dbs.source, target: dbs.target, table, targetRef: ref("checked"), created: true })).skipped.map((s) => s.constraint)).toEqual(["pair_even"]);
  });

  it("keys a table as ADD PRIMARY KEY would name it: adopts its own index left by an interrupted finish, steps past a name another relation holds", async () => {
    await dbs.source.unsafe(`
      CREATE TABLE resumed (id int PRIMARY KEY, v text);
      INSERT INTO resumed SELECT g, 'v' || g FROM generate_series(1, 300) g;
      CREATE TABLE crowded (a int, b text, PRIMARY KEY (a, b));
      INSERT INTO crowded SELECT g, 'b' || g FROM generate_series(1, 300) g;`);
    for (const name of ["resumed", "crowded"]) {
      const table = await readTableInfo(dbs.source, ref(name));
      await prepareTarget(dbs.source, dbs.target, [{ table, targetRef: ref(name) }]);
      await copyChunk({ source: dbs.sourceUrl, target: dbs.targetUrl, table, targetRef: ref(name), chunk: all, cleanRange: false, validate: false });
    }
    // An earlier attempt got as far as the key's index; another table holds the name crowded's key would take.
    await dbs.target.unsafe(`CREATE UNIQUE INDEX resumed_pkey ON resumed (id); CREATE TABLE crowded_pkey (x int)`);
    for (const name of ["resumed", "crowded"]) {
      const table = await readTableInfo(dbs.source, ref(name));
      await finishTable({ source: dbs.source, target: dbs.target, table, targetRef: ref(name), created: true });
    }
    const keys = await dbs.target<{ rel: string; conname: string; def: string; indexes: number }[]>`
      SELECT conrelid::regclass::text AS rel, conname, pg_get_constraintdef(oid) AS def,
             (SELECT count(*)::int FROM pg_index WHERE indrelid = conrelid) AS indexes
        FROM pg_constraint WHERE contype = 'p' AND conrelid IN ('resumed'::regclass, 'crowded'::regclass) ORDER BY 1`;
    expect(keys).toEqual([
      { rel: "crowded", conname: "crowded_pkey1", def: "PRIMARY KEY (a, b)", indexes: 1 },
      { rel: "resumed", conname: "resumed_pkey", def: "PRIMARY KEY (id)", indexes: 1 },
    ]);
  });

  it("gives serial columns their own sequence on the target, renamed with the table, counting on past the copied keys", async () => {
    await dbs.source.unsafe(`
      CREATE TABLE orders (id bigserial PRIMARY KEY, n serial, note text);
      ALTER SEQUENCE orders_n_seq INCREMENT BY 5;
      INSERT INTO orders (note) SELECT 'o' || g FROM generate_series(1, 40) g;`);
    const table = await readTableInfo(dbs.source, ref("orders"));
    const target = { schema: "shop", name: "orders_2024" };
    await prepareTarget(dbs.source, dbs.target, [{ table, targetRef: target }]);
    await copyChunk({ source: dbs.sourceUrl, target: dbs.targetUrl, table, targetRef: target, chunk: all, cleanRange: false, validate: false });
    await finishTable({ source: dbs.source, target: dbs.target, table, targetRef: target, created: true });
    const [row] = await dbs.target.unsafe<{ id: string; n: number }[]>(`INSERT INTO shop.orders_2024 (note) VALUES ('new') RETURNING id::text, n`);
    expect(row).toEqual({ id: "41", n: 1 + 40 * 5 });
    const owned = await dbs.target.unsafe<{ s: string }[]>(
      `SELECT pg_get_serial_sequence('shop.orders_2024', c) AS s FROM unnest(ARRAY['id', 'n']) c`,
    );
    expect(owned.map((o) => o.s)).toEqual(["shop.orders_2024_id_seq", "shop.orders_2024_n_seq"]);
    // Owned by their columns: a second run's drop_and_create takes them along and makes them anew.
    await prepareTarget(dbs.source, dbs.target, [{ table, targetRef: target }]);
    const [fresh] = await dbs.target.unsafe<{ v: string }[]>(`SELECT nextval('shop.orders_2024_n_seq')::text AS v`);
    expect(fresh!.v).toBe("1");
  });

  it("moves an existing target's own sequences past the appended rows, never back", async () => {
    await dbs.source.unsafe(`
      CREATE TABLE tally (id int PRIMARY KEY, v text);
      INSERT INTO tally SELECT g, 'v' || g FROM generate_series(11, 100) g;`);
    // Existing targets the source knows nothing about: an identity at its start, and one already far ahead.
    await dbs.target.unsafe(`
      CREATE SCHEMA kept;
      CREATE TABLE kept.fresh (id int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v text);
      CREATE TABLE kept.ahead (id int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v text);
      INSERT INTO kept.fresh (id, v) SELECT g, 'old' FROM generate_series(1, 10) g;
      SELECT setval(pg_get_serial_sequence('kept.ahead', 'id'), 5000);`);
    const table = await readTableInfo(dbs.source, ref("tally"));
    for (const name of ["fresh", "ahead"]) {
      const target = { schema: "kept", name };
      const [prepared] = await prepareTarget(dbs.source, dbs.target, [{ table, targetRef: target }], "append");
      expect(prepared!.created).toBe(false);
      await copyChunk({ source: dbs.sourceUrl, target: dbs.targetUrl, table, targetRef: target, chunk: all, validate: false });
      await finishTable({ source: dbs.source, target: dbs.target, table, targetRef: target, created: false });
    }
    const [next] = await dbs.target.unsafe<{ fresh: number; ahead: number }[]>(
      `SELECT nextval(pg_get_serial_sequence('kept.fresh', 'id'))::int AS fresh, nextval(pg_get_serial_sequence('kept.ahead', 'id'))::int AS ahead`,
    );
    expect(next).toEqual({ fresh: 101, ahead: 5001 });
  });

  it("recreates a generated column the target can compute, copies one that needs a user function as plain values", async () => {
    await dbs.source.unsafe(`
      CREATE SCHEMA calc;
      CREATE FUNCTION calc.triple(n int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT n * 3';
      CREATE TABLE computed (id int PRIMARY KEY, a int, twice int GENERATED ALWAYS AS (a * 2) STORED, thrice int GENERATED ALWAYS AS (calc.triple(a)) STORED);
      INSERT INTO computed (id, a) SELECT g, g + 1 FROM generate_series(1, 200) g;`);
    const table = await readTableInfo(dbs.source, ref("computed"));
    expect(table.columns.map((c) => [c.name, c.recompute ?? false])).toEqual([["id", false], ["a", false], ["twice", true], ["thrice", false]]);
    await prepareTarget(dbs.source, dbs.target, [{ table, targetRef: ref("computed") }]);
    const result = await copyChunk({ source: dbs.sourceUrl, target: dbs.targetUrl, table, targetRef: ref("computed"), chunk: all, cleanRange: false, validate: true });
    const finished = await finishTable({ source: dbs.source, target: dbs.target, table, targetRef: ref("computed"), created: true, checksum: { chunks: [all] } });
    expect(finished.checksums).toEqual([{ index: 0, ...result.checksum! }]);
    expect(await tableDigest(dbs.target, ref("computed"))).toEqual(await tableDigest(dbs.source, ref("computed")));
    const kinds = await dbs.target.unsafe<{ name: string; g: string }[]>(
      `SELECT attname::text AS name, attgenerated::text AS g FROM pg_attribute WHERE attrelid = 'computed'::regclass AND attnum > 0 ORDER BY attnum`,
    );
    expect(kinds.map((k) => [k.name, k.g])).toEqual([["id", ""], ["a", ""], ["twice", "s"], ["thrice", ""]]);
    const [row] = await dbs.target.unsafe<{ twice: number }[]>(`INSERT INTO computed (id, a, thrice) VALUES (1000, 21, 63) RETURNING twice`);
    expect(row!.twice).toBe(42);
  });
});
