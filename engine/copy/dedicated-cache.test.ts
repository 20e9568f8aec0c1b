import { setTimeout as sleep } from "node:timers/promises";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { tableDigest } from "../test-support/table-digest";
import { readTableInfo } from "../test-support/table-info";
import { createTestDatabases, type TestDatabases } from "../test-support/test-databases";
import { transferTable } from "../test-support/transfer";
import { copyChunk } from "./copy-chunk";
import { DedicatedCache } from "./dedicated-cache";

const ref = (name: string) => ({ schema: "public", name });

/** Sessions ever opened on the connection's database (pg_stat_database.sessions, PostgreSQL 14+). */
async function sessions(sql: postgres.Sql): Promise<number> {
  await sql`SELECT pg_stat_clear_snapshot()`;
  const [row] = await sql<{ n: string }[]>`SELECT sessions::text AS n FROM pg_stat_database WHERE datname = current_database()`;
  return Number(row!.n);
}

const copySessions = (sql: postgres.Sql) =>
  sql<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'dtaas-copy'`;

describe("DedicatedCache", () => {
  let dbs: TestDatabases;
  beforeAll(async () => {
    dbs = await createTestDatabases(inject("pgUrl"), "dedicated_cache");
    await dbs.source.unsafe(`
      CREATE TABLE t (id int PRIMARY KEY, s text, j jsonb);
      INSERT INTO t SELECT g, 'row ' || g, jsonb_build_object('g', g) FROM generate_series(1, 20000) g;`);
  });
  afterAll(() => dbs?.drop());

  it("copies chunk after chunk on the same three connections, validated, tables equal", async () => {
    const cache = new DedicatedCache();
    try {
      const table = await readTableInfo(dbs.source, ref("t"));
      const [sourceBefore, targetBefore] = [await sessions(dbs.source), await sessions(dbs.target)];
      const result = await transferTable(dbs, table, { chunkRows: 2000, targetRef: ref("t_cached"), connections: cache });
      expect(result.chunks.length).toBeGreaterThanOrEqual(8);
      expect(await tableDigest(dbs.target, ref("t_cached"))).toEqual(await tableDigest(dbs.source, ref("t")));
      // Without the cache each chunk opens two source sessions and one target session.
      await sleep(100);
      expect(await sessions(dbs.source)).toBeLessThanOrEqual(sourceBefore + 2 + 1);
      expect(await sessions(dbs.target)).toBeLessThanOrEqual(targetBefore + 1 + 1);
      expect(cache.size(dbs.sourceUrl)).toBe(2);
      expect(cache.size(dbs.targetUrl)).toBe(1);
      // Again without validation (no snapshot transaction on the source), each range cleared first.
      for (const chunk of result.chunks) {
        await copyChunk({ source: dbs.sourceUrl, target: dbs.targetUrl, table, targetRef: ref("t_cached"), chunk, cleanRange: true, connections: cache });
      }
      expect(await tableDigest(dbs.target, ref("t_cached"))).toEqual(await tableDigest(dbs.source, ref("t")));
      // Kept idle, outside any transaction.
      const [idle] = await dbs.source<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'dtaas-copy' AND state = 'idle'`;
      expect(idle!.n).toBe(2);
    } finally {
      await cache.closeAll();
    }
    expect(cache.size()).toBe(0);
    await sleep(200);
    expect(await copySessions(dbs.source)).toEqual([]);
  });

  it("keeps no connection of a failed copy, and reconnects a kept one the server closed", async () => {
    const cache = new DedicatedCache();
    try {
      const table = await readTableInfo(dbs.source, ref("t"));
      const chunk = { index: 0, lo: null, hi: null, wholeTable: true };
      const failed = copyChunk({ source: dbs.sourceUrl, target: dbs.targetUrl, table, targetRef: ref("missing"), chunk, validate: true, connections: cache });
      await expect(failed).rejects.toMatchObject({ code: "42P01" });
      expect(cache.size()).toBe(0);

      await transferTable(dbs, table, { targetRef: ref("t_again"), connections: cache });
      expect(cache.size()).toBe(3);
      await dbs.source`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'dtaas-copy'`;
      await dbs.target`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'dtaas-copy'`;
      await sleep(100);
      const r = await copyChunk({ source: dbs.sourceUrl, target: dbs.targetUrl, table, targetRef: ref("t_again"), chunk, cleanRange: true, validate: true, connections: cache });
      expect(r.rows).toBe(20000);
      expect(r.checksum!.rows).toBe(20000);
      expect(await tableDigest(dbs.target, ref("t_again"))).toEqual(await tableDigest(dbs.source, ref("t")));
    } finally {
      await cache.closeAll();
    }
  });

  it("closes connections idle longer than idleMs, and keeps at most perUrl", async () => {
    const cache = new DedicatedCache({ idleMs: 150, perUrl: 1 });
    const table = await readTableInfo(dbs.source, ref("t"));
    await transferTable(dbs, table, { chunkRows: 5000, targetRef: ref("t_idle"), connections: cache });
    expect(cache.size(dbs.sourceUrl)).toBe(1);
    expect(cache.size(dbs.targetUrl)).toBe(1);
    await sleep(600);
    expect(cache.size()).toBe(0);
    expect(await copySessions(dbs.source)).toEqual([]);
    expect(await copySessions(dbs.target)).toEqual([]);
  });
});
