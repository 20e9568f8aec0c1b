import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { TableRef } from "../catalog/types";
import { tableDigest } from "../test-support/table-digest";
import { readTableInfo } from "../test-support/table-info";
import { createTestDatabases, type TestDatabases } from "../test-support/test-databases";
import { transferTable } from "../test-support/transfer";
import { copyChunk } from "./copy-chunk";
import { closeDedicated, openDedicated, rawPath } from "./dedicated-connection";

const ref = (name: string): TableRef => ({ schema: "public", name });
const whole = { index: 0, lo: null, hi: null, wholeTable: true };

/** copyChunk over plain TCP, where the source's CopyData bytes go to the target socket unparsed. */
describe("COPY passthrough", () => {
  let dbs: TestDatabases;
  beforeAll(async () => {
    dbs = await createTestDatabases(inject("pgUrl"), "pass");
    await dbs.source.unsafe(`
      -- Values of several MB (TOASTed, barely compressible) and of ~100 KB: every CopyData message spans
      -- many socket reads, and headers fall anywhere within a read.
      CREATE TABLE wide_values (id int PRIMARY KEY, v text, b bytea);
      INSERT INTO wide_values
        SELECT g, (SELECT string_agg(md5(g::text || i::text), '') FROM generate_series(1, CASE WHEN g % 10 = 0 THEN 100000 ELSE 3000 + g END) i),
               decode((SELECT string_agg(md5(i::text || g::text), '') FROM generate_series(1, g * 2000) i), 'hex')
          FROM generate_series(1, 40) g;
      CREATE TABLE late_null (id int PRIMARY KEY, v text);
      INSERT INTO late_null SELECT g, CASE WHEN g = 250000 THEN NULL ELSE 'row ' || g END FROM generate_series(1, 300000) g;
      CREATE TABLE many (id int PRIMARY KEY, v text);
      INSERT INTO many SELECT g, repeat('x', g % 50) FROM generate_series(1, 300000) g;
      CREATE VIEW breaks_late AS SELECT id, CASE WHEN id = 250000 THEN (1 / (id - id))::text ELSE v END AS v FROM many;
    `);
    await dbs.target.unsafe(`
      CREATE TABLE late_null (id int PRIMARY KEY, v text NOT NULL);
      CREATE TABLE breaks_late (id int PRIMARY KEY, v text);
    `);
  });
  afterAll(() => dbs?.drop());

  /** No COPY left running on either side after a failed attempt, and nothing committed. */
  async function expectNothingLeft(table: string) {
    for (const sql of [dbs.source, dbs.target]) {
      let active = -1;
      for (let i = 0; i < 100 && active !== 0; i++) {
        const [row] = await sql.unsafe<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state <> 'idle' AND query LIKE 'COPY %'`,
        );
        active = row!.n;
        if (active) await new Promise((r) => setTimeout(r, 20));
      }
      expect(active).toBe(0);
    }
    const [count] = await dbs.target.unsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${table}`);
    expect(count!.n).toBe(0);
  }

  it("is used for TCP connections to one host, TLS or not (copy-tls.test.ts); not for host lists", async () => {
    const sql = openDedicated(dbs.sourceUrl);
    try {
      await sql`SELECT 1`;
      expect(rawPath(sql)?.socket).not.toBeNull();
    } finally {
      await closeDedicated(sql, false);
    }
    const url = new URL(dbs.sourceUrl);
    const cases = [
      [`${dbs.sourceUrl}?sslmode=disable`, true],
      [`${dbs.sourceUrl}?sslmode=require`, true],
      [`${dbs.sourceUrl}?ssl=verify-full`, true],
      [`postgres://${url.username}@${url.host},127.0.0.2:${url.port}${url.pathname}`, false],
    ] as const;
    for (const [other, raw] of cases) {
      const client = openDedicated(other);
      expect(rawPath(client) !== null, other).toBe(raw);
      await closeDedicated(client, false);
    }
  });

  it("copies rows of several MB, split across many socket reads, row for row", async () => {
    const table = await readTableInfo(dbs.source, ref("wide_values"));
    const result = await transferTable(dbs, table, { chunkRows: 1000 });
    expect(result.chunkRows).toEqual([40]);
    expect(await tableDigest(dbs.target, ref("wide_values"))).toEqual(await tableDigest(dbs.source, ref("wide_values")));
    const [size] = await dbs.source.unsafe<{ n: number }[]>(`SELECT sum(octet_length(v) + octet_length(b))::int AS n FROM wide_values`);
    expect(result.bytes).toBeGreaterThan(size!.n);
  });

  it("reports the bytes moved as progress and copies many small rows row for row", async () => {
    const table = await readTableInfo(dbs.source, ref("many"));
    const seen: number[] = [];
    await transferTable(dbs, table, { chunkRows: 1_000_000 });
    await dbs.target.unsafe(`TRUNCATE many`);
    const r = await copyChunk({ source: dbs.sourceUrl, target: dbs.targetUrl, table, targetRef: ref("many"), chunk: whole, onProgress: (b) => seen.push(b) });
    expect(r.rows).toBe(300_000);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.at(-1)).toBe(r.bytes);
    expect(await tableDigest(dbs.target, ref("many"))).toEqual(await tableDigest(dbs.source, ref("many")));
  });

  it("rejects with the target's error when a row breaks a constraint mid-COPY", async () => {
    const table = await readTableInfo(dbs.source, ref("late_null"));
    const attempt = copyChunk({ source: dbs.sourceUrl, target: dbs.targetUrl, table, targetRef: ref("late_null"), chunk: whole });
    await expect(attempt).rejects.toMatchObject({ code: "23502", column_name: "v" });
    await expectNothingLeft("late_null");
  });

  it("rejects with the source's error when its COPY fails mid-stream", async () => {
    // A view reading `many`: catalog discovery lists tables only, so it is described as `many` renamed.
    const table = { ...(await readTableInfo(dbs.source, ref("many"))), name: "breaks_late" };
    const attempt = copyChunk({ source: dbs.sourceUrl, target: dbs.targetUrl, table, targetRef: ref("breaks_late"), chunk: whole });
    await expect(attempt).rejects.toMatchObject({ code: "22012" });
    await expectNothingLeft("breaks_late");
  });
});
