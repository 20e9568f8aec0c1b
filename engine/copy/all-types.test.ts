import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { checksumChunk } from "../checksum/checksum-chunk";
import { ALL_TYPES_SCHEMA, ALL_TYPES_TABLE, allTypesSql } from "../test-support/all-types";
import { tableDigest } from "../test-support/table-digest";
import { readTableInfo } from "../test-support/table-info";
import { createTestDatabases, type TestDatabases } from "../test-support/test-databases";
import { transferTable } from "../test-support/transfer";
import { copyFormatFor } from "./copy-format";

describe("every type, awkward identifiers", () => {
  let dbs: TestDatabases;
  const awkward = { schema: ALL_TYPES_SCHEMA, name: ALL_TYPES_TABLE };
  const twin = { schema: ALL_TYPES_SCHEMA, name: "binary_twin" };
  beforeAll(async () => {
    dbs = await createTestDatabases(inject("pgUrl"), "types");
    await dbs.source.unsafe(allTypesSql());
  });
  afterAll(() => dbs?.drop());

  for (const [label, ref, format] of [
    ["text format (enum[] and a domain)", awkward, "text"],
    ["binary format", twin, "binary"],
  ] as const) {
    it(`copies ${label} exactly, column by column`, async () => {
      const table = await readTableInfo(dbs.source, ref);
      expect(copyFormatFor(table)).toBe(format);
      // Tiny chunks: several key ranges even on five rows.
      const result = await transferTable(dbs, table, { chunkRows: 2 });
      expect(result.chunks.length).toBeGreaterThan(1);
      expect(result.chunkRows.reduce((a, b) => a + b, 0)).toBe(5);
      expect(await tableDigest(dbs.target, ref)).toEqual(await tableDigest(dbs.source, ref));
      for (const column of table.columns) {
        const cols = ["id", column.name];
        expect(await tableDigest(dbs.target, ref, cols), column.name).toEqual(await tableDigest(dbs.source, ref, cols));
      }
      for (const chunk of result.chunks) {
        expect(await checksumChunk(dbs.target, table, chunk, undefined, ref)).toEqual(await checksumChunk(dbs.source, table, chunk));
      }
    });
  }

  it("keeps column types, identity and generated values; moves the identity past the copied keys", async () => {
    const typeOf = `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attidentity AS identity, a.attnotnull AS notnull
                      FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`;
    const name = `"My Schema"."Order ""Items"""`;
    const [src, dst] = await Promise.all([dbs.source.unsafe(typeOf, [name]), dbs.target.unsafe(typeOf, [name])]);
    expect(dst.map((c) => c.name)).toEqual(src.map((c) => c.name));
    expect(dst.map((c) => c.type)).toEqual(src.map((c) => c.type));
    expect(dst.find((c) => c.name === "id")).toMatchObject({ identity: "a", notnull: true });
    // Generated from built-in operators only: the target computes it too, for rows inserted after the copy.
    const generated = `SELECT attgenerated::text AS g FROM pg_attribute WHERE attrelid = $1::regclass AND attname = 'gen'`;
    const [[sg], [dg]] = await Promise.all([dbs.source.unsafe<{ g: string }[]>(generated, [name]), dbs.target.unsafe<{ g: string }[]>(generated, [name])]);
    expect(dg!.g).toBe(sg!.g);
    expect(dg!.g).toBe("s");
    const [row] = await dbs.target.unsafe<{ id: string }[]>(`INSERT INTO ${name} ("select") VALUES ('new') RETURNING id::text`);
    expect(Number(row!.id)).toBe(1001);
    // The twin's identity counts down in steps of 3, as on the source: on past the lowest copied key.
    const twin = `"My Schema".binary_twin`;
    const [lowest] = await dbs.target.unsafe<{ id: string }[]>(`SELECT min(id)::text AS id FROM ${twin}`);
    const [next] = await dbs.target.unsafe<{ id: string }[]>(`INSERT INTO ${twin} DEFAULT VALUES RETURNING id::text`);
    expect(BigInt(next!.id)).toBe(BigInt(lowest!.id) - 3n);
    const [gen] = await dbs.target.unsafe<{ gen: string }[]>(`SELECT gen::text FROM ${name} WHERE id = 1`);
    expect(gen!.gen).toBe(String(9223372036854775807n / 2n + 1n));
    const indexes = await dbs.target.unsafe<{ indexdef: string }[]>(
      `SELECT indexdef FROM pg_indexes WHERE schemaname = 'My Schema' AND tablename = $1 ORDER BY indexname COLLATE "C"`,
      [ALL_TYPES_TABLE],
    );
    expect(indexes.map((i) => i.indexdef)).toEqual([
      `CREATE UNIQUE INDEX "Order ""Items""_pkey" ON "My Schema"."Order ""Items""" USING btree (id)`,
      `CREATE UNIQUE INDEX "Order ""Items""_u_idx" ON "My Schema"."Order ""Items""" USING btree (u)`,
      `CREATE INDEX "by Group" ON "My Schema"."Order ""Items""" USING btree ("Group", lower(\"select\")) WHERE ("Group" > 0)`,
    ]);
  });
});
