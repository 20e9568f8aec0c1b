import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { TableRef } from "../catalog/types";
import { prepareTarget } from "../ddl/prepare-target";
import { readTableInfo } from "../test-support/table-info";
import { connect } from "../test-support/test-databases";
import { keyCollationHazards } from "./key-collation";

const ref = (name: string): TableRef => ({ schema: "public", name });

describe("key collations on both sides", () => {
  const suffix = randomBytes(4).toString("hex");
  // An ICU en-US source ('a' < 'B') and a C target ('B' < 'a'), and a second C target.
  const names = { source: `kc_icu_${suffix}`, target: `kc_c_${suffix}`, twin: `kc_c2_${suffix}` };
  const admin = () => connect(inject("pgUrl"), 1);
  const url = (db: string) => Object.assign(new URL(inject("pgUrl")), { pathname: `/${db}` }).toString();
  let source: ReturnType<typeof connect>;
  let target: ReturnType<typeof connect>;
  let twin: ReturnType<typeof connect>;

  beforeAll(async () => {
    const sql = admin();
    await sql.unsafe(`CREATE DATABASE ${names.source} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'`);
    await sql.unsafe(`CREATE DATABASE ${names.target} TEMPLATE template0 LOCALE 'C'`);
    await sql.unsafe(`CREATE DATABASE ${names.twin} TEMPLATE template0 LOCALE 'C'`);
    await sql.end();
    [source, target, twin] = [connect(url(names.source)), connect(url(names.target)), connect(url(names.twin))];
    for (const db of [source, target]) {
      await db.unsafe(`
        CREATE TABLE by_default (code text PRIMARY KEY, n int);
        CREATE TABLE by_c (code text COLLATE "C" PRIMARY KEY, label text);
        CREATE TABLE by_int (id int PRIMARY KEY, label text);
        INSERT INTO by_default SELECT chr(64 + g), g FROM generate_series(1, 26) g;
        INSERT INTO by_default SELECT chr(96 + g), g FROM generate_series(1, 26) g;`);
    }
  });
  afterAll(async () => {
    await Promise.all([source?.end(), target?.end(), twin?.end()]);
    const sql = admin();
    for (const db of Object.values(names)) await sql.unsafe(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await sql.end();
  });

  it("is a real hazard: the same key range holds different rows on each side", async () => {
    const range = `SELECT string_agg(code, '' ORDER BY code COLLATE "C") AS v FROM by_default WHERE code >= 'B' AND code < 'c'`;
    const [[onSource], [onTarget]] = await Promise.all([source.unsafe<{ v: string }[]>(range), target.unsafe<{ v: string }[]>(range)]);
    expect(onSource!.v).toBe("B");
    expect(onTarget!.v).toBe("BCDEFGHIJKLMNOPQRSTUVWXYZab");
  });

  it("names the tables whose key sorts differently, for created and existing targets", async () => {
    const tables = await Promise.all(["by_default", "by_c", "by_int"].map((n) => readTableInfo(source, ref(n))));
    expect(tables.map((t) => t.columns[0]!.collation)).toEqual([{ schema: "pg_catalog", name: "default" }, { schema: "pg_catalog", name: "C" }, undefined]);
    const created = tables.map((table) => ({ table, targetRef: ref(table.name), created: true }));
    const hazards = await keyCollationHazards(source, target, created);
    expect([...hazards.keys()]).toEqual(['"public"."by_default"']);
    expect(hazards.get('"public"."by_default"')).toBe(
      "key column code sorts by the database default (i/C/C/en-US) on the source and by the database default (c/C/C/) on the target, so a key range would not hold the same rows on both: copied as one chunk",
    );
    // Existing target tables are read: by_c keeps "C" on the target too, a target column on its default does not match it.
    await target.unsafe(`CREATE TABLE c_elsewhere (code text PRIMARY KEY)`);
    const existing = [
      { table: tables[1]!, targetRef: ref("by_c"), created: false },
      { table: tables[1]!, targetRef: ref("c_elsewhere"), created: false },
    ];
    expect([...(await keyCollationHazards(source, target, existing)).values()]).toEqual([
      "key column code sorts by pg_catalog.C on the source and by the database default (c/C/C/) on the target, so a key range would not hold the same rows on both: copied as one chunk",
    ]);
  });

  it("finds none between databases with the same default, and creates a column with its own collation", async () => {
    const tables = await Promise.all(["by_default", "by_c"].map((n) => readTableInfo(target, ref(n))));
    const pairs = tables.map((table) => ({ table, targetRef: ref(table.name) }));
    const prepared = await prepareTarget(target, twin, pairs);
    expect(await keyCollationHazards(target, twin, prepared)).toEqual(new Map());
    const [column] = await twin.unsafe<{ collation: string }[]>(
      `SELECT c.collname::text AS collation FROM pg_attribute a JOIN pg_collation c ON c.oid = a.attcollation WHERE a.attrelid = 'by_c'::regclass AND a.attname = 'code'`,
    );
    expect(column!.collation).toBe("C");
  });
});
