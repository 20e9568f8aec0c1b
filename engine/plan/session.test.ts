import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { checksumSql } from "../checksum/checksum-sql";
import { openDedicated } from "../copy/dedicated-connection";
import { readTableInfo } from "../test-support/table-info";
import { connect, createTestDatabases, type TestDatabases } from "../test-support/test-databases";
import { querySettled } from "./session";

const SHOW = `SELECT current_setting('TimeZone') AS tz, current_setting('DateStyle') AS ds, current_setting('extra_float_digits') AS efd,
  current_setting('jit') AS jit, current_setting('max_parallel_workers_per_gather') AS workers`;
const FIXED = { tz: "UTC", ds: "ISO, YMD", efd: "3", jit: "off", workers: "0" };

describe("fixed session settings", () => {
  let dbs: TestDatabases;
  beforeAll(async () => {
    dbs = await createTestDatabases(inject("pgUrl"), "session");
    const db = dbs.sourceUrl.split("/").pop();
    await dbs.source.unsafe(`ALTER DATABASE "${db}" SET TimeZone = 'Pacific/Chatham';
      ALTER DATABASE "${db}" SET DateStyle = 'SQL, DMY';
      ALTER DATABASE "${db}" SET max_parallel_workers_per_gather = 4;
      -- Parallel plans made cheap, so that the planner picks workers wherever it may.
      ALTER DATABASE "${db}" SET parallel_setup_cost = 0;
      ALTER DATABASE "${db}" SET parallel_tuple_cost = 0;
      ALTER DATABASE "${db}" SET min_parallel_table_scan_size = 0;
      CREATE TABLE big (id int PRIMARY KEY, v text);
      INSERT INTO big SELECT g, repeat('x', 200) FROM generate_series(1, 200000) g;
      ANALYZE big;`);
  });
  afterAll(() => dbs?.drop());

  it("hold for one settled statement only: the pooled session keeps its own", async () => {
    const session = connect(dbs.sourceUrl, 1);
    try {
      expect((await querySettled<typeof FIXED>(session, SHOW))[0]).toEqual(FIXED);
      const [after] = await session.unsafe<(typeof FIXED)[]>(SHOW);
      expect(after).toMatchObject({ tz: "Pacific/Chatham", ds: "SQL, DMY", workers: "4" });
    } finally {
      await session.end();
    }
  });

  it("are a dedicated connection's from its start", async () => {
    const dedicated = openDedicated(dbs.sourceUrl);
    try {
      expect((await dedicated.unsafe<(typeof FIXED)[]>(SHOW))[0]).toEqual(FIXED);
    } finally {
      await dedicated.end();
    }
  });

  it("keep a checksum serial (parallel workers would contend with the copy beside it)", async () => {
    const table = await readTableInfo(dbs.source, { schema: "public", name: "big" });
    const query = checksumSql(table, { index: 0, lo: null, hi: null, wholeTable: true }, undefined, table);
    const session = connect(dbs.sourceUrl, 1);
    const plan = async (settled: boolean) => {
      const rows = settled ? await querySettled<{ "QUERY PLAN": string }>(session, `EXPLAIN ${query}`) : await session.unsafe<{ "QUERY PLAN": string }[]>(`EXPLAIN ${query}`);
      return rows.map((r) => r["QUERY PLAN"]).join("\n");
    };
    expect(await plan(false)).toContain("Gather");
    expect(await plan(true)).not.toContain("Gather");
    await session.end();
  });
});
