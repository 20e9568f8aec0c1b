import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { TableRef } from "../catalog/types";
import { tableDigest } from "../test-support/table-digest";
import { readTableInfo } from "../test-support/table-info";
import { createTestDatabases, type TestDatabases } from "../test-support/test-databases";
import { transferTable } from "../test-support/transfer";
import { createCollationsSql } from "./collations";

const users: TableRef = { schema: "public", name: "users" };

describe("collations of user schemas", () => {
  let dbs: TestDatabases;
  beforeAll(async () => {
    dbs = await createTestDatabases(inject("pgUrl"), "colls");
    await dbs.source.unsafe(`
      CREATE SCHEMA txt;
      CREATE COLLATION txt.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
      CREATE COLLATION txt."C bytes" (provider = libc, lc_collate = 'C', lc_ctype = 'C');
      CREATE TABLE users (id int PRIMARY KEY, email text COLLATE txt.ci UNIQUE, code text COLLATE txt."C bytes", note text COLLATE "C");
      INSERT INTO users SELECT g, 'User' || g || '@Example.com', 'c' || g, 'n' || g FROM generate_series(1, 500) g;`);
  });
  afterAll(() => dbs?.drop());

  it("are created on the target with provider, locale and determinism, and the columns keep them", async () => {
    const table = await readTableInfo(dbs.source, users);
    await transferTable(dbs, table);
    expect(await tableDigest(dbs.target, users)).toEqual(await tableDigest(dbs.source, users));
    const describe = `SELECT a.attname::text AS column, n.nspname::text AS schema, c.collname::text AS name, c.collprovider::text AS provider, c.collisdeterministic AS deterministic
                        FROM pg_attribute a JOIN pg_collation c ON c.oid = a.attcollation JOIN pg_namespace n ON n.oid = c.collnamespace
                       WHERE a.attrelid = 'users'::regclass AND a.attnum > 0 ORDER BY a.attnum`;
    const [want, got] = await Promise.all([dbs.source.unsafe(describe), dbs.target.unsafe(describe)]);
    expect(got).toEqual(want);
    expect(got.map((c) => c.name)).toEqual(["ci", "C bytes", "C"]);
    // Case-insensitive uniqueness holds on the target as on the source.
    await expect(dbs.target.unsafe(`INSERT INTO users VALUES (1000, 'user1@example.COM', 'x', 'y')`)).rejects.toMatchObject({ code: "23505" });
    // Prepared again (a second run): the collations exist already.
    await transferTable(dbs, table);
    expect(await tableDigest(dbs.target, users)).toEqual(await tableDigest(dbs.source, users));
  });

  it("writes CREATE COLLATION for each provider", () => {
    expect(
      createCollationsSql([
        { schema: "s", name: "ci", provider: "i", collate: null, ctype: null, locale: "und-u-ks-level2", rules: "&a < b", deterministic: false },
        { schema: "s", name: "fr's", provider: "c", collate: "fr_FR.utf8", ctype: "fr_FR.utf8", locale: null, rules: null, deterministic: true },
        { schema: "s", name: "b", provider: "b", collate: null, ctype: null, locale: "C.UTF-8", rules: null, deterministic: true },
      ]),
    ).toEqual([
      `CREATE COLLATION IF NOT EXISTS "s"."ci" (provider = icu, locale = 'und-u-ks-level2', rules = '&a < b', deterministic = false)`,
      `CREATE COLLATION IF NOT EXISTS "s"."fr's" (provider = libc, lc_collate = 'fr_FR.utf8', lc_ctype = 'fr_FR.utf8', deterministic = true)`,
      `CREATE COLLATION IF NOT EXISTS "s"."b" (provider = builtin, locale = 'C.UTF-8', deterministic = true)`,
    ]);
  });
});
