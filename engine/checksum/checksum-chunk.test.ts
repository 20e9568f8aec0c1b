import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Chunk } from "../plan/chunk";
import { planChunks } from "../plan/plan-chunks";
import { readTableInfo } from "../test-support/table-info";
import { createTestDatabases, type TestDatabases } from "../test-support/test-databases";
import { transferTable } from "../test-support/transfer";
import { checksumChunk } from "./checksum-chunk";

const whole: Chunk = { index: 0, lo: null, hi: null, wholeTable: false };
const ref = (name: string) => ({ schema: "public", name });

describe("checksumChunk", () => {
  let dbs: TestDatabases;
  beforeAll(async () => {
    dbs = await createTestDatabases(inject("pgUrl"), "checksum");
    await dbs.source.unsafe(`
      CREATE TABLE t (id int PRIMARY KEY, s text, f float8, ts timestamptz, j jsonb, n numeric);
      INSERT INTO t SELECT g, CASE WHEN g % 5 = 0 THEN NULL ELSE 'v' || g END, g / 3.0, timestamptz '2024-01-01 00:00:00.123456+00' + g * interval '1 minute',
             jsonb_build_object('k', g, 'big', 12345678901234567890), g * 1.1 FROM generate_series(1, 20000) g;
      CREATE TABLE nulls (id int PRIMARY KEY, s text);
      INSERT INTO nulls VALUES (1, NULL);
      CREATE TABLE empties (id int PRIMARY KEY, s text);
      INSERT INTO empties VALUES (1, '');
    `);
  });
  afterAll(() => dbs?.drop());

  it("agrees on both sides after a copy, chunk by chunk, under any session TimeZone", async () => {
    const table = await readTableInfo(dbs.source, ref("t"));
    await dbs.target.unsafe(`ALTER DATABASE ${dbs.targetUrl.split("/").pop()} SET TimeZone = 'Pacific/Chatham'`);
    await transferTable(dbs, table, { chunkRows: 4000 });
    const chunks = await planChunks(dbs.source, table, { chunkRows: 4000 });
    expect(chunks.length).toBeGreaterThan(2);
    let rows = 0;
    for (const chunk of chunks) {
      const [src, dst] = await Promise.all([checksumChunk(dbs.source, table, chunk), checksumChunk(dbs.target, table, chunk)]);
      expect(dst).toEqual(src);
      rows += src.rows;
    }
    expect(rows).toBe(20000);
  });

  it("differs when one row differs on the target", async () => {
    const table = await readTableInfo(dbs.source, ref("t"));
    const before = await checksumChunk(dbs.target, table, whole);
    await dbs.target.unsafe(`UPDATE t SET f = f + 1e-12 WHERE id = 777`);
    const after = await checksumChunk(dbs.target, table, whole);
    expect(after.rows).toBe(before.rows);
    expect(after.hash).not.toBe(before.hash);
    expect(after).not.toEqual(await checksumChunk(dbs.source, table, whole));
  });

  it("tells NULL from the empty string", async () => {
    const table = await readTableInfo(dbs.source, ref("nulls"));
    const a = await checksumChunk(dbs.source, table, whole);
    const b = await checksumChunk(dbs.source, table, whole, undefined, ref("empties"));
    expect(a.rows).toBe(b.rows);
    expect(a.hash).not.toBe(b.hash);
  });

  // Pairs that the type's equality (and so its own hash) treats as equal, or that a careless hash confuses.
  const distinct: [string, string, string][] = [
    ["numeric", "1.0", "1.00"],
    ["numeric", "'NaN'", "NULL"],
    ["float8", "'-0'", "0"],
    ["interval", "'1 day'", "'24 hours'"],
    ["bpchar", "'a'", "'a '"],
    ["char(3)", "'a'", "'b'"],
    ["jsonb", `'{"a": 1.0}'`, `'{"a": 1.00}'`],
    ["timestamptz", "'2024-01-01 00:00:00+00'", "'2024-01-01 00:00:00.000001+00'"],
    ["text", "''", "NULL"],
    ["int4", "0", "NULL"],
    ["bool", "false", "NULL"],
    ["bpchar[]", "'{a}'", "'{\"a \"}'"],
    ["float8", "NULL", "'NaN'"],
    ["float8", "0.1", "0.30000000000000004 - 0.2"],
    ["float4", "'-0'", "0"],
    ["date", "'infinity'", "'-infinity'"],
    ["date", "'infinity'", "NULL"],
    ["date", "'2024-02-29'", "'2024-03-01'"],
  ];
  for (const [type, a, b] of distinct) {
    it(`tells ${a} from ${b} as ${type}`, async () => {
      const name = `d_${type.replace(/\W/g, "")}_${Math.random().toString(36).slice(2, 6)}`;
      await dbs.source.unsafe(`CREATE TABLE ${name}_a (id int PRIMARY KEY, v ${type}); INSERT INTO ${name}_a VALUES (1, ${a});
        CREATE TABLE ${name}_b (LIKE ${name}_a INCLUDING ALL); INSERT INTO ${name}_b VALUES (1, ${b});`);
      const table = await readTableInfo(dbs.source, ref(`${name}_a`));
      const [x, y] = [await checksumChunk(dbs.source, table, whole), await checksumChunk(dbs.source, table, whole, undefined, ref(`${name}_b`))];
      expect(x.rows).toBe(1);
      expect(y.rows).toBe(1);
      expect(x.hash).not.toBe(y.hash);
    });
  }

  it("tells values swapped between columns or between rows", async () => {
    await dbs.source.unsafe(`
      CREATE TABLE sw (id int PRIMARY KEY, a int, b int, s text, u text);
      INSERT INTO sw VALUES (1, 10, 20, 'x', 'y'), (2, 30, 40, 'p', 'q');
      CREATE TABLE sw_cols (LIKE sw); INSERT INTO sw_cols VALUES (1, 20, 10, 'y', 'x'), (2, 40, 30, 'q', 'p');
      CREATE TABLE sw_rows (LIKE sw); INSERT INTO sw_rows VALUES (1, 10, 40, 'x', 'q'), (2, 30, 20, 'p', 'y');
      CREATE TABLE sw_same (LIKE sw); INSERT INTO sw_same VALUES (2, 30, 40, 'p', 'q'), (1, 10, 20, 'x', 'y');`);
    const table = await readTableInfo(dbs.source, ref("sw"));
    const base = await checksumChunk(dbs.source, table, whole);
    expect(await checksumChunk(dbs.source, table, whole, undefined, ref("sw_same"))).toEqual(base);
    for (const other of ["sw_cols", "sw_rows"]) {
      expect((await checksumChunk(dbs.source, table, whole, undefined, ref(other))).hash).not.toBe(base.hash);
    }
  });

  it("applies row filters the same way as the copy", async () => {
    const table = await readTableInfo(dbs.source, ref("t"));
    const filter = [
      { column: "id", op: "<=" as const, value: 5000 },
      { column: "s", op: "is_not_null" as const },
    ];
    await transferTable(dbs, table, { targetRef: ref("t_filtered"), filter, chunkRows: 3000 });
    const src = await checksumChunk(dbs.source, table, whole, filter);
    expect(src.rows).toBe(4000);
    expect(await checksumChunk(dbs.target, table, whole, undefined, ref("t_filtered"))).toEqual(src);
  });
});
