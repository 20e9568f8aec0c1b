import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { TableRef } from "../catalog/types";
import { describeTables } from "../catalog/discover";
import { borrowPostgres } from "../db/postgres-js";
import { prepareTarget } from "../ddl/prepare-target";
import { planChunks } from "../plan/plan-chunks";
import { tableDigest } from "../test-support/table-digest";
import { readTableInfo } from "../test-support/table-info";
import { connect, createTestDatabases, type TestDatabases } from "../test-support/test-databases";
import { transferTable } from "../test-support/transfer";
import { CopiedBefore } from "../cdc/copy-snapshot";
import { parseLsn } from "../cdc/lsn";
import { copyChunk } from "./copy-chunk";

const ref = (name: string): TableRef => ({ schema: "public", name });

describe("copyChunk", () => {
  let dbs: TestDatabases;
  beforeAll(async () => {
    dbs = await createTestDatabases(inject("pgUrl"), "copy");
    await dbs.source.unsafe(`
      CREATE TABLE composite (a int4, b text, v float8, PRIMARY KEY (a, b));
      INSERT INTO composite SELECT g % 100, 'k' || (g / 100), random() FROM generate_series(0, 29999) g;
      CREATE TABLE text_key (k text PRIMARY KEY, v int);
      INSERT INTO text_key SELECT md5(g::text), g FROM generate_series(1, 20000) g;
      CREATE TABLE uuid_key (k uuid PRIMARY KEY, v int);
      INSERT INTO uuid_key SELECT md5(g::text)::uuid, g FROM generate_series(1, 20000) g;
      CREATE TABLE ts_key (k timestamptz PRIMARY KEY, v int);
      INSERT INTO ts_key SELECT timestamptz '2020-01-01 00:00:00.000001+00' + g * interval '1.000001 second', g FROM generate_series(1, 10000) g;
      CREATE TABLE no_key (a int, b text);
      INSERT INTO no_key SELECT g % 10, CASE WHEN g % 3 = 0 THEN NULL ELSE 'same' END FROM generate_series(1, 5000) g;
      CREATE TABLE by_unique (code text NOT NULL, n int NOT NULL, v text);
      CREATE UNIQUE INDEX by_unique_key ON by_unique (n, code) INCLUDE (v);
      CREATE UNIQUE INDEX by_unique_wider ON by_unique (n, code, v);
      INSERT INTO by_unique SELECT 'c' || (g % 7), g / 7, md5(g::text) FROM generate_series(0, 29999) g;
      CREATE TABLE unusable_uniques (a int, b text NOT NULL, c text NOT NULL, d int NOT NULL);
      CREATE UNIQUE INDEX ON unusable_uniques (a);
      CREATE UNIQUE INDEX ON unusable_uniques (b text_pattern_ops);
      CREATE UNIQUE INDEX ON unusable_uniques (c COLLATE "C");
      CREATE UNIQUE INDEX ON unusable_uniques (lower(b));
      CREATE UNIQUE INDEX ON unusable_uniques (d) WHERE d > 0;
      CREATE TABLE empty_key (id int PRIMARY KEY, v text);
      CREATE TABLE empty_no_key (v text);
      CREATE TABLE big (id int8 PRIMARY KEY, a int4, b text, c timestamptz, d numeric(12,2));
      INSERT INTO big SELECT g, g % 1000, 'row ' || g, timestamptz '2024-01-01' + g * interval '1 second', g / 7.0 FROM generate_series(1, 1000000) g;
    `);
  });
  afterAll(() => dbs?.drop());

  async function expectEqual(name: string, chunkRows: number, minChunks: number) {
    const table = await readTableInfo(dbs.source, ref(name));
    const result = await transferTable(dbs, table, { chunkRows });
    const want = await tableDigest(dbs.source, ref(name));
    expect(await tableDigest(dbs.target, ref(name))).toEqual(want);
    expect(result.chunks.length).toBeGreaterThanOrEqual(minChunks);
    expect(result.chunkRows.reduce((a, b) => a + b, 0)).toBe(want.count);
    return result;
  }

  it("copies a composite (int, text) key in many chunks", () => expectEqual("composite", 3000, 5));
  it("copies a text key in many chunks", () => expectEqual("text_key", 3000, 4));
  it("copies a uuid key in many chunks", () => expectEqual("uuid_key", 3000, 4));
  it("copies a timestamptz key in many chunks", () => expectEqual("ts_key", 2000, 3));
  it("copies a table without primary key as one whole-table chunk, duplicates included", async () => {
    const result = await expectEqual("no_key", 1000, 1);
    expect(result.chunks).toEqual([{ index: 0, lo: null, hi: null, wholeTable: true }]);
  });
  it("records what a copy saw of the source: transactions committed before it, not those in progress or begun after", async () => {
    await dbs.source.unsafe("CREATE TABLE seen (v text)");
    const table = await readTableInfo(dbs.source, ref("seen"));
    await prepareTarget(dbs.source, dbs.target, [{ table, targetRef: ref("seen") }]);
    const xidOf = async (sql: postgres.Sql | postgres.TransactionSql, v: string) => {
      const [row] = await sql<{ xid: string }[]>`INSERT INTO seen VALUES (${v}) RETURNING txid_current()::text AS xid`;
      return Number(BigInt(row!.xid) & 0xffffffffn);
    };
    const before = await dbs.source.begin((tx) => xidOf(tx, "before"));
    const [wal] = await dbs.source<{ lsn: string }[]>`SELECT pg_current_wal_insert_lsn()::text AS lsn`;
    const committedBy = wal!.lsn;
    const holder = connect(dbs.sourceUrl, 1);
    let release!: () => void;
    let inProgress!: number;
    const started = new Promise<void>((ready) => {
      void holder.begin(async (tx) => {
        inProgress = await xidOf(tx, "in progress");
        ready();
        await new Promise<void>((r) => (release = r));
      });
    });
    await started;
    const chunk = { index: 0, lo: null, hi: null, wholeTable: true };
    const result = await copyChunk({ source: dbs.sourceUrl, target: dbs.targetUrl, table, targetRef: ref("seen"), chunk, validate: true, recordSnapshot: true });
    release();
    await holder.end();
    const after = await dbs.source.begin((tx) => xidOf(tx, "after"));
    expect([result.rows, result.checksum?.rows]).toEqual([1, 1]);
    const copied = new CopiedBefore(result.snapshot!);
    const at = parseLsn(result.snapshot!.lsn);
    expect(parseLsn(committedBy)).toBeLessThanOrEqual(at);
    expect([copied.saw(before, parseLsn(committedBy)), copied.saw(inProgress, at), copied.saw(after, at)]).toEqual([true, false, false]);
    const plain = await copyChunk({ source: dbs.sourceUrl, target: dbs.targetUrl, table, targetRef: ref("seen"), chunk });
    expect([plain.rows, plain.snapshot]).toEqual([3, null]);
  });

  it("chunks a table without primary key by its unique index over NOT NULL columns, and only by a usable one", async () => {
    const [usable, unusable, keyed] = await describeTables(borrowPostgres(dbs.source), [ref("by_unique"), ref("unusable_uniques"), ref("composite")]);
    expect([usable!.primaryKey, usable!.uniqueKey]).toEqual([[], ["n", "code"]]);
    // Nullable, non-default operator class, another collation, an expression, a predicate: none usable.
    expect(unusable!.uniqueKey).toBeUndefined();
    expect(keyed!.uniqueKey).toBeUndefined();
    const result = await expectEqual("by_unique", 3000, 5);
    expect(result.chunks.every((c) => !c.wholeTable)).toBe(true);
  });

  it("copies empty tables", async () => {
    await expectEqual("empty_key", 1000, 1);
    await expectEqual("empty_no_key", 1000, 1);
  });

  it("copies 1M rows in many chunks", async () => {
    const table = await readTableInfo(dbs.source, ref("big"));
    const [prepared] = await prepareTarget(dbs.source, dbs.target, [{ table, targetRef: ref("big") }]);
    expect(prepared!.created).toBe(true);
    const chunks = await planChunks(dbs.source, table, { chunkRows: 100_000 });
    expect(chunks.length).toBeGreaterThanOrEqual(8);
    const started = performance.now();
    const results = await Promise.all(
      [0, 1].map(async (lane) => {
        const rows: number[] = [];
        for (const chunk of chunks.filter((c) => c.index % 2 === lane)) {
          rows.push((await copyChunk({ source: dbs.sourceUrl, target: dbs.targetUrl, table, targetRef: ref("big"), chunk })).rows);
        }
        return rows;
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const rows = results.flat();
    console.info(`1M rows in ${chunks.length} chunks, 2 in flight: ${seconds.toFixed(2)} s, ${Math.round(1e6 / seconds)} rows/s`);
    expect(rows.every((n) => n > 0)).toBe(true);
    expect(rows.reduce((a, b) => a + b, 0)).toBe(1_000_000);
    expect(await tableDigest(dbs.target, ref("big"))).toEqual(await tableDigest(dbs.source, ref("big")));
  });

  it("is idempotent: the same chunk copied twice leaves one copy of each row", async () => {
    const table = await readTableInfo(dbs.source, ref("text_key"));
    await transferTable(dbs, table, { chunkRows: 3000 });
    const chunks = await planChunks(dbs.source, table, { chunkRows: 3000 });
    const middle = chunks[Math.floor(chunks.length / 2)]!;
    const again = await copyChunk({ source: dbs.sourceUrl, target: dbs.targetUrl, table, targetRef: ref("text_key"), chunk: middle });
    expect(again.rows).toBeGreaterThan(0);
    expect(await tableDigest(dbs.target, ref("text_key"))).toEqual(await tableDigest(dbs.source, ref("text_key")));
    const wholeNoKey = (await readTableInfo(dbs.source, ref("no_key")));
    await copyChunk({ source: dbs.sourceUrl, target: dbs.targetUrl, table: wholeNoKey, targetRef: ref("no_key"), chunk: { index: 0, lo: null, hi: null, wholeTable: true } });
    expect(await tableDigest(dbs.target, ref("no_key"))).toEqual(await tableDigest(dbs.source, ref("no_key")));
  });

  for (const side of ["target", "source"] as const) {
    it(`is idempotent after the ${side} connection is killed mid-stream`, async () => {
      const table = await readTableInfo(dbs.source, ref("big"));
      await prepareTarget(dbs.source, dbs.target, [{ table, targetRef: ref("big") }]);
      const whole = { index: 0, lo: null, hi: null, wholeTable: false };
      const half = { index: 0, lo: null, hi: ["500001"], wholeTable: false };
      // A committed first half, so the retry must also replace rows a failed attempt could have doubled.
      await copyChunk({ source: dbs.sourceUrl, target: dbs.targetUrl, table, targetRef: ref("big"), chunk: half });
      const admin = connect(side === "target" ? dbs.targetUrl : dbs.sourceUrl, 1);
      try {
        const attempt = copyChunk({ source: dbs.sourceUrl, target: dbs.targetUrl, table, targetRef: ref("big"), chunk: whole });
        const pattern = side === "target" ? "COPY % FROM STDIN%" : "COPY (SELECT%TO STDOUT%";
        let killed = false;
        for (let i = 0; i < 400 && !killed; i++) {
          // Wait until the target holds some of the attempt's rows, so the kill lands mid-stream.
          const [state] = await admin.unsafe<{ pid: number | null; size: string }[]>(
            `SELECT (SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE $1 AND pid <> pg_backend_pid() LIMIT 1) AS pid,
                    (SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 'big')::text AS size`,
            [pattern],
          );
          if (state?.pid) {
            await new Promise((r) => setTimeout(r, 150));
            await admin.unsafe(`SELECT pg_terminate_backend($1)`, [state.pid]);
            killed = true;
          } else {
            await new Promise((r) => setTimeout(r, 10));
          }
        }
        expect(killed).toBe(true);
        await expect(attempt).rejects.toThrow();
        // The failed attempt leaves no source backend behind still sending COPY data.
        let leftover = -1;
        for (let i = 0; i < 100 && leftover !== 0; i++) {
          const [row] = await dbs.source.unsafe<{ n: number }[]>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE 'COPY (SELECT%'`,
          );
          leftover = row!.n;
          if (leftover) await new Promise((r) => setTimeout(r, 20));
        }
        expect(leftover).toBe(0);
        const [count] = await dbs.target.unsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM big`);
        expect(count!.n).toBe(500_000);
        const retry = await copyChunk({ source: dbs.sourceUrl, target: dbs.targetUrl, table, targetRef: ref("big"), chunk: whole });
        expect(retry.rows).toBe(1_000_000);
        expect(await tableDigest(dbs.target, ref("big"))).toEqual(await tableDigest(dbs.source, ref("big")));
      } finally {
        await admin.end();
      }
    });
  }

  it("fails fast and leaves both pools usable when the target table is missing", async () => {
    const table = await readTableInfo(dbs.source, ref("big"));
    const attempt = copyChunk({ source: dbs.sourceUrl, target: dbs.targetUrl, table, targetRef: ref("nowhere"), chunk: { index: 0, lo: null, hi: null, wholeTable: false } });
    await expect(attempt).rejects.toMatchObject({ code: "42P01" });
    const [s] = await dbs.source.unsafe<{ one: number }[]>(`SELECT 1 AS one`);
    const [t] = await dbs.target.unsafe<{ one: number }[]>(`SELECT 1 AS one`);
    expect([s!.one, t!.one]).toEqual([1, 1]);
  });
});
