import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { TableRef } from "../catalog/types";
import { readTableInfo } from "../test-support/table-info";
import { createTestDatabases, type TestDatabases } from "../test-support/test-databases";
import { transferTable } from "../test-support/transfer";
import { addForeignKeys, foreignKeyPlan, readForeignKeys, type ForeignKeyTable } from "./foreign-keys";

const ref = (schema: string, name: string): TableRef => ({ schema, name });

/** Foreign keys of a schema as `table: definition`, the referenced table's schema swapped to compare across schemas. */
async function definitions(sql: TestDatabases["source"], schema: string): Promise<string[]> {
  const rows = await sql.unsafe<{ d: string }[]>(
    `SELECT c.conrelid::regclass::text || ' ' || c.conname || ': ' || pg_get_constraintdef(c.oid) || CASE WHEN c.convalidated THEN '' ELSE ' (not validated)' END AS d
       FROM pg_constraint c WHERE c.contype = 'f' AND c.connamespace = $1::regnamespace ORDER BY 1`,
    [schema],
  );
  return rows.map((r) => r.d.replaceAll(`${schema}.`, "S."));
}

describe("foreign keys", () => {
  let dbs: TestDatabases;
  beforeAll(async () => {
    dbs = await createTestDatabases(inject("pgUrl"), "fkeys");
    await dbs.source.unsafe(`
      CREATE SCHEMA shop;
      CREATE TABLE shop."Customer" ("Id" int PRIMARY KEY, "e mail" text UNIQUE);
      CREATE TABLE shop.region (code text, sub int, PRIMARY KEY (code, sub));
      CREATE TABLE shop.orders (
        id int PRIMARY KEY,
        customer int REFERENCES shop."Customer" ("Id") ON DELETE CASCADE ON UPDATE RESTRICT,
        contact text,
        region text, sub int,
        parent int,
        CONSTRAINT "order's contact" FOREIGN KEY (contact) REFERENCES shop."Customer" ("e mail") DEFERRABLE INITIALLY DEFERRED,
        CONSTRAINT order_region FOREIGN KEY (region, sub) REFERENCES shop.region (code, sub) MATCH FULL ON DELETE SET NULL (region, sub),
        CONSTRAINT order_parent FOREIGN KEY (parent) REFERENCES shop.orders (id) DEFERRABLE);
      CREATE TABLE shop.outside (id int PRIMARY KEY);
      CREATE TABLE shop.notes (id int PRIMARY KEY, order_id int, outside_id int REFERENCES shop.outside);
      INSERT INTO shop."Customer" VALUES (1, 'a@x'), (2, 'b@x');
      INSERT INTO shop.region VALUES ('eu', 1), ('us', 2);
      INSERT INTO shop.orders VALUES (10, 1, 'a@x', 'eu', 1, NULL), (11, 2, 'b@x', NULL, NULL, 10), (12, 2, NULL, 'us', 2, 11);
      INSERT INTO shop.notes VALUES (1, 10, NULL), (2, 99, NULL);
      -- A row breaks this key: added NOT VALID on the source, and copied as such.
      ALTER TABLE shop.notes ADD CONSTRAINT notes_order_id_fkey FOREIGN KEY (order_id) REFERENCES shop.orders NOT VALID;`);
  });
  afterAll(() => dbs?.drop());

  it("reads every clause of the source's keys", async () => {
    const defs = await readForeignKeys(dbs.source, [ref("shop", "orders")]);
    expect(defs.map((d) => d.name)).toEqual(["order's contact", "order_parent", "order_region", "orders_customer_fkey"]);
    expect(defs.find((d) => d.name === "order_region")).toMatchObject({
      columns: ["region", "sub"], references: ref("shop", "region"), refColumns: ["code", "sub"], match: "f", onDelete: "n", deleteColumns: ["region", "sub"],
    });
    expect(defs.find((d) => d.name === "orders_customer_fkey")).toMatchObject({ refColumns: ["Id"], onUpdate: "r", onDelete: "c", deleteColumns: null, deferrable: false });
    expect(defs.find((d) => d.name === "order's contact")).toMatchObject({ deferrable: true, deferred: true, validated: true });
  });

  it("recreates the keys among the copied tables under their target names, validated as on the source", async () => {
    const names = ["Customer", "region", "orders", "notes"];
    const tables: ForeignKeyTable[] = names.map((name) => ({ table: ref("shop", name), targetRef: ref("dst", name), created: true }));
    for (const t of tables) await transferTable(dbs, await readTableInfo(dbs.source, t.table), { targetRef: t.targetRef });

    const result = await addForeignKeys(dbs.source, dbs.target, tables);
    expect(result.added).toBe(5);
    expect(result.skipped).toEqual([{ constraint: "notes_outside_id_fkey", reason: "references shop.outside, which this task does not copy" }]);
    const want = (await definitions(dbs.source, "shop")).filter((d) => !d.includes("notes_outside_id_fkey"));
    expect(await definitions(dbs.target, "dst")).toEqual(want);
    expect(want.find((d) => d.includes("notes_order_id_fkey"))).toContain("(not validated)");

    // A second attempt (a retried job) finds them all in place.
    const again = await addForeignKeys(dbs.source, dbs.target, tables);
    expect(again).toEqual(result);
    expect(await definitions(dbs.target, "dst")).toEqual(want);
    // Enforced: a cascade from a copied parent reaches its copied children, and stops at a note.
    await dbs.target.unsafe(`DELETE FROM dst."Customer" WHERE "Id" = 2`);
    const [left] = await dbs.target.unsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM dst.orders WHERE customer = 2`);
    expect(left!.n).toBe(0);
    await expect(dbs.target.unsafe(`DELETE FROM dst."Customer" WHERE "Id" = 1`)).rejects.toMatchObject({ code: "23503", constraint_name: "notes_order_id_fkey" });
  });

  it("leaves a key the copied rows violate NOT VALID and says so; tables it did not create keep theirs", async () => {
    const tables: ForeignKeyTable[] = [
      { table: ref("shop", "Customer"), targetRef: ref("part", "Customer"), created: false },
      { table: ref("shop", "orders"), targetRef: ref("part", "orders"), created: true },
    ];
    await dbs.target.unsafe(`CREATE SCHEMA part; CREATE TABLE part."Customer" ("Id" int PRIMARY KEY, "e mail" text UNIQUE)`);
    // A filter kept customer 2's orders but not customer 2.
    await dbs.target.unsafe(`INSERT INTO part."Customer" VALUES (1, 'a@x')`);
    await transferTable(dbs, await readTableInfo(dbs.source, tables[1]!.table), { targetRef: tables[1]!.targetRef });

    const result = await addForeignKeys(dbs.source, dbs.target, tables);
    expect(result.added).toBe(3);
    expect(result.skipped.map((s) => s.constraint)).toEqual(["order_region", "order's contact", "orders_customer_fkey"]);
    expect(result.skipped[0]!.reason).toBe("references shop.region, which this task does not copy");
    expect(result.skipped[1]!.reason).toMatch(/^left NOT VALID \(enforced for new rows only\): .*order's contact/);
    const target = await definitions(dbs.target, "part");
    expect(target.filter((d) => d.includes("(not validated)")).map((d) => d.split(":")[0])).toEqual([`S.orders order's contact`, "S.orders orders_customer_fkey"]);
    expect(target.some((d) => d.startsWith('S."Customer"'))).toBe(false);
  });

  it("plans nothing for a table the run did not create, and a partitioned table's keys in one step", () => {
    const defs = [{ name: "k", table: ref("s", "a"), columns: ["x"], references: ref("s", "b"), refColumns: ["y"], match: "s", onUpdate: "a", onDelete: "a", deleteColumns: null, deferrable: false, deferred: false, validated: true }];
    const both = (created: boolean): ForeignKeyTable[] => [
      { table: ref("s", "a"), targetRef: ref("t", "a2"), created },
      { table: ref("s", "b"), targetRef: ref("t", "b2"), created: true },
    ];
    expect(foreignKeyPlan(defs, both(false))).toEqual({ steps: [], skipped: [] });
    expect(foreignKeyPlan(defs, both(true)).steps).toEqual([
      {
        table: ref("t", "a2"),
        name: "k",
        add: `ALTER TABLE "t"."a2" ADD CONSTRAINT "k" FOREIGN KEY ("x") REFERENCES "t"."b2" ("y") ON UPDATE NO ACTION ON DELETE NO ACTION NOT VALID`,
        validate: `ALTER TABLE "t"."a2" VALIDATE CONSTRAINT "k"`,
      },
    ]);
    // A partitioned table refuses NOT VALID keys: added validating, in one step.
    const partitioned = both(true).map((t, i) => (i === 0 ? { ...t, partitioned: true } : t));
    expect(foreignKeyPlan(defs, partitioned).steps).toMatchObject([
      { add: `ALTER TABLE "t"."a2" ADD CONSTRAINT "k" FOREIGN KEY ("x") REFERENCES "t"."b2" ("y") ON UPDATE NO ACTION ON DELETE NO ACTION`, validate: null },
    ]);
  });
});
