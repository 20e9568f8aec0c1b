import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { readTableInfo } from "../test-support/table-info";
import { createTestDatabases, type TestDatabases } from "../test-support/test-databases";
import { prepareTarget } from "./prepare-target";

describe("comments", () => {
  let dbs: TestDatabases;
  beforeAll(async () => {
    dbs = await createTestDatabases(inject("pgUrl"), "notes");
    await dbs.source.unsafe(`
      CREATE TABLE invoices (id int PRIMARY KEY, "Total" numeric, memo text);
      COMMENT ON TABLE invoices IS 'Issued invoices; see the ''billing'' doc \\ section 2';
      COMMENT ON COLUMN invoices."Total" IS 'Gross, in cents';`);
  });
  afterAll(() => dbs?.drop());

  it("are kept on the table and its columns, under the target name", async () => {
    const table = await readTableInfo(dbs.source, { schema: "public", name: "invoices" });
    await prepareTarget(dbs.source, dbs.target, [{ table, targetRef: { schema: "books", name: "invoices_2024" } }]);
    const described = (sql: TestDatabases["source"], name: string) =>
      sql.unsafe<{ column: string | null; comment: string }[]>(
        `SELECT a.attname::text AS column, d.description AS comment FROM pg_description d
           LEFT JOIN pg_attribute a ON a.attrelid = d.objoid AND a.attnum = d.objsubid
          WHERE d.objoid = $1::regclass AND d.classoid = 'pg_class'::regclass ORDER BY d.objsubid`,
        [name],
      );
    const want = await described(dbs.source, "public.invoices");
    expect(want).toEqual([
      { column: null, comment: "Issued invoices; see the 'billing' doc \\ section 2" },
      { column: "Total", comment: "Gross, in cents" },
    ]);
    expect(await described(dbs.target, "books.invoices_2024")).toEqual(want);
  });
});
