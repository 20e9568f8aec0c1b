import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { TableRef } from "../catalog/types";
import { tableDigest } from "../test-support/table-digest";
import { readTableInfo } from "../test-support/table-info";
import { createTestDatabases, type TestDatabases } from "../test-support/test-databases";
import { transferTable } from "../test-support/transfer";
import { readTypeExtensions } from "./extensions";

const people: TableRef = { schema: "public", name: "people" };

describe("types from extensions", () => {
  let dbs: TestDatabases;
  beforeAll(async () => {
    dbs = await createTestDatabases(inject("pgUrl"), "exts");
    await dbs.source.unsafe(`
      CREATE SCHEMA ext;
      CREATE EXTENSION citext WITH SCHEMA public;
      CREATE EXTENSION hstore WITH SCHEMA ext;
      CREATE DOMAIN public.email AS public.citext CHECK (VALUE LIKE '%@%');
      CREATE TABLE people (id int PRIMARY KEY, email email UNIQUE, nick citext[], attrs ext.hstore);
      INSERT INTO people SELECT g, 'Person' || g || '@Example.com', ARRAY['N' || g, 'n' || g], ('k=>' || g)::ext.hstore FROM generate_series(1, 300) g;`);
  });
  afterAll(() => dbs?.drop());

  it("creates the extensions the column types come from, in their schemas, then copies the table", async () => {
    const table = await readTableInfo(dbs.source, people);
    expect(await readTypeExtensions(dbs.source, [table])).toEqual([
      { name: "citext", schema: "public" },
      { name: "hstore", schema: "ext" },
    ]);
    await transferTable(dbs, table);
    expect(await tableDigest(dbs.target, people)).toEqual(await tableDigest(dbs.source, people));
    const installed = await dbs.target.unsafe<{ name: string; schema: string }[]>(
      `SELECT e.extname::text AS name, n.nspname::text AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql' ORDER BY 1`,
    );
    expect(installed).toEqual([{ name: "citext", schema: "public" }, { name: "hstore", schema: "ext" }]);
    // citext's case-insensitive uniqueness holds on the target.
    await expect(dbs.target.unsafe(`INSERT INTO people (id, email) VALUES (1000, 'person1@example.COM')`)).rejects.toMatchObject({ code: "23505" });
    // A second run finds them installed.
    await transferTable(dbs, table);
    expect(await tableDigest(dbs.target, people)).toEqual(await tableDigest(dbs.source, people));
  });
});
