import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { ColumnInfo, TableInfo } from "../catalog/types";
import { readTableInfo } from "../test-support/table-info";
import { createTestDatabases, type TestDatabases } from "../test-support/test-databases";
import { createTableSql } from "./create-table";
import { primaryKeySql, retargetName } from "./indexes";
import { prepareTarget } from "./prepare-target";
import { qualify, quoteIdent, quoteLiteral } from "./quote";
import { createTypesSql } from "./user-types";

function column(over: Partial<ColumnInfo> & { name: string }): ColumnInfo {
  return { position: 1, dataType: "text", typeSchema: "pg_catalog", typeName: "text", typeKind: "b", isArray: false, nullable: true, defaultExpr: null, generated: "", identity: "", ...over };
}

describe("target DDL text", () => {
  it("quotes every identifier and literal", () => {
    expect(quoteIdent('Order "Items"')).toBe('"Order ""Items"""');
    expect(qualify({ schema: "My Schema", name: "select" })).toBe('"My Schema"."select"');
    expect(quoteLiteral("it's")).toBe("'it''s'");
    expect(quoteLiteral("a\\b")).toBe("E'a\\\\b'");
  });

  it("creates columns with types, identity, safe defaults, generated columns as plain ones, no key", () => {
    const table: TableInfo = {
      schema: "s",
      name: "t",
      primaryKey: ["id"],
      estimatedRows: 0,
      sizeBytes: 0,
      columns: [
        column({ name: "id", position: 1, dataType: "bigint", typeName: "int8", nullable: false, identity: "a" }),
        column({ name: "serial", position: 2, dataType: "integer", typeName: "int4", nullable: false, defaultExpr: "nextval('t_serial_seq'::regclass)" }),
        column({ name: "Mood", position: 3, dataType: "mood[]", typeSchema: "My Schema", typeName: "mood", typeKind: "e", isArray: true }),
        column({ name: "price", position: 4, dataType: "numeric(12,2)", typeName: "numeric", defaultExpr: "0" }),
        column({ name: "twice", position: 5, dataType: "numeric", typeName: "numeric", generated: "s", defaultExpr: "(price * 2)" }),
      ],
    };
    expect(createTableSql(table, { schema: "dev", name: "T 2" })).toBe(
      [
        `CREATE TABLE "dev"."T 2" (`,
        `  "id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL,`,
        `  "serial" integer NOT NULL,`,
        `  "Mood" "My Schema"."mood"[],`,
        `  "price" numeric(12,2) DEFAULT 0,`,
        `  "twice" numeric`,
        `)`,
      ].join("\n"),
    );
    expect(primaryKeySql(table, { schema: "dev", name: "T 2" })).toBe(`ALTER TABLE "dev"."T 2" ADD PRIMARY KEY ("id")`);
    expect(primaryKeySql({ ...table, primaryKey: [] }, table)).toBeNull();
  });

  it("creates enums in label order and domains with their constraints", () => {
    expect(
      createTypesSql([
        { kind: "enum", schema: "s", name: "m", labels: ["b", "a'"] },
        { kind: "domain", schema: "s", name: "d", baseType: "integer", notNull: true, defaultExpr: "1", checks: [{ name: "pos", definition: "CHECK ((VALUE > 0))" }] },
      ]),
    ).toEqual([`CREATE TYPE "s"."m" AS ENUM ('b', 'a''')`, `CREATE DOMAIN "s"."d" AS integer DEFAULT 1 NOT NULL CONSTRAINT "pos" CHECK ((VALUE > 0))`]);
  });

  it("renames indexes after the target table", () => {
    expect(retargetName("sales_pkey", "sales", "sales")).toBe("sales_pkey");
    expect(retargetName("sales_day_idx", "sales", "prod_sales")).toBe("prod_sales_day_idx");
    expect(retargetName("by_day", "sales", "prod_sales")).toBe("prod_sales_by_day");
    expect(Buffer.byteLength(retargetName("é".repeat(40), "x", "y"))).toBeLessThanOrEqual(63);
  });
});

describe("prepareTarget", () => {
  let dbs: TestDatabases;
  beforeAll(async () => {
    dbs = await createTestDatabases(inject("pgUrl"), "ddl");
    await dbs.source.unsafe(`
      CREATE SCHEMA app;
      CREATE TYPE app.mood AS ENUM ('sad', 'ok');
      CREATE DOMAIN app.pos AS int CHECK (VALUE > 0);
      CREATE TABLE app.t (id serial PRIMARY KEY, m app.mood DEFAULT 'ok', p app.pos, ms app.mood[]);
    `);
  });
  afterAll(() => dbs?.drop());

  const count = async () => (await dbs.target.unsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM app.t`))[0]!.n;

  it("creates types and tables, then truncates, appends or recreates as the mode says", async () => {
    const table = await readTableInfo(dbs.source, { schema: "app", name: "t" });
    const pair = { table, targetRef: { schema: "app", name: "t" } };
    expect((await prepareTarget(dbs.source, dbs.target, [pair]))[0]!.created).toBe(true);
    const [labels] = await dbs.target.unsafe<{ l: string[] }[]>(`SELECT enum_range(NULL::app.mood)::text[] AS l`);
    expect(labels!.l).toEqual(["sad", "ok"]);
    await expect(dbs.target.unsafe(`INSERT INTO app.t (id, p) VALUES (1, 0)`)).rejects.toMatchObject({ code: "23514" });
    await dbs.target.unsafe(`INSERT INTO app.t (id, p, ms) VALUES (1, 1, '{sad}')`);
    const [m] = await dbs.target.unsafe<{ m: string }[]>(`SELECT m::text FROM app.t`);
    expect(m!.m).toBe("ok");

    expect((await prepareTarget(dbs.source, dbs.target, [pair], "append"))[0]!.created).toBe(false);
    expect(await count()).toBe(1);
    expect((await prepareTarget(dbs.source, dbs.target, [pair], "truncate"))[0]!.created).toBe(false);
    expect(await count()).toBe(0);
    await dbs.target.unsafe(`INSERT INTO app.t (id, p) VALUES (1, 1)`);
    expect((await prepareTarget(dbs.source, dbs.target, [pair], "drop_and_create"))[0]!.created).toBe(true);
    expect(await count()).toBe(0);
  });
});
