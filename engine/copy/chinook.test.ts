import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CHINOOK_TABLES, loadChinook } from "../test-support/chinook";
import { tableDigest } from "../test-support/table-digest";
import { readTableInfo } from "../test-support/table-info";
import { createTestDatabases, type TestDatabases } from "../test-support/test-databases";
import { transferTable } from "../test-support/transfer";

describe("Chinook full load", () => {
  let dbs: TestDatabases;
  beforeAll(async () => {
    dbs = await createTestDatabases(inject("pgUrl"), "chinook");
    await loadChinook(dbs.source);
  });
  afterAll(() => dbs?.drop());

  it("copies every table equal, with keys and indexes", async () => {
    for (const name of CHINOOK_TABLES) {
      const ref = { schema: "public", name };
      const table = await readTableInfo(dbs.source, ref);
      // Small chunks so that multi-chunk planning runs on real data too.
      const result = await transferTable(dbs, table, { chunkRows: 1000 });
      const [want, got] = await Promise.all([tableDigest(dbs.source, ref), tableDigest(dbs.target, ref)]);
      expect(want.count, name).toBeGreaterThan(0);
      expect(got, name).toEqual(want);
      expect(result.chunkRows.reduce((a, b) => a + b, 0), name).toBe(want.count);
    }
    const [track] = await dbs.target.unsafe<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'track'`,
    );
    // Primary key plus the three foreign-key indexes of the script.
    expect(track!.n).toBe(4);
    const [pk] = await dbs.target.unsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM pg_constraint WHERE contype = 'p' AND connamespace = 'public'::regnamespace`);
    expect(pk!.n).toBe(CHINOOK_TABLES.length);
  });
});
