import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { TableRef } from "../catalog/types";
import { closeDedicated, openDedicated } from "../copy/dedicated-connection";
import { tableDigest } from "../test-support/table-digest";
import { ApplySession, type TableMapping } from "./apply";
import { createCdcFixture, type CdcFixture } from "./cdc-test-setup";
import { runCdcOnce, type CdcStepInput } from "./loop";
import { pollingReader, type ChangeReader } from "./read";
import { sourceTypeResolver } from "./schema-change";

const TABLES = ["accounts", "pairs", "words", "counters", "docs", "bag", "big"];
const DDL = `
  CREATE TABLE accounts (id int8 PRIMARY KEY, owner text, balance numeric(14,2), updated timestamptz, tags text[]);
  CREATE TABLE pairs (a int4, b text, v float8, PRIMARY KEY (a, b));
  CREATE TABLE words (w text PRIMARY KEY, n int, j jsonb);
  CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL);
  CREATE TABLE docs (id int PRIMARY KEY, title text, body text);
  CREATE TABLE bag (a int, b text);
  CREATE TABLE big (id int PRIMARY KEY, v text);`;
const ref = (name: string): TableRef => ({ schema: "public", name });

describe("CDC apply end to end", () => {
  let f: CdcFixture;
  let mapping: TableMapping[];
  beforeAll(async () => {
    f = await createCdcFixture(inject("pgUrl"), "cdcapply");
    await f.source.unsafe(`${DDL}; ALTER TABLE bag REPLICA IDENTITY FULL`);
    await f.target.unsafe(DDL);
    mapping = TABLES.map((t) => ({ source: ref(t), target: ref(t) }));
    await f.publish(TABLES.map(ref));
    await f.createSlot();
  });
  afterAll(() => f?.drop());

  const step = (extra: Partial<CdcStepInput> = {}) =>
    runCdcOnce({ source: f.sourceUrl, target: f.targetUrl, ...f.names, taskId: f.taskId, mapping, ...extra });

  async function drain(extra: Partial<CdcStepInput> = {}) {
    let applied = 0;
    for (let i = 0; i < 1000; i++) {
      const r = await step(extra);
      applied += r.applied;
      if (r.transactions === 0 && r.skipped === 0) return { applied, last: r };
    }
    throw new Error("never drained");
  }

  async function expectSame(tables = TABLES) {
    for (const t of tables) expect(await tableDigest(f.target, ref(t)), t).toEqual(await tableDigest(f.source, ref(t)));
  }

  it("converges on a random workload over several tables, keys changing, in several batches", async () => {
    await f.sourceTx(`
      INSERT INTO accounts SELECT g, 'owner ' || g, g * 1.5, timestamptz '2024-01-01' + g * interval '1 minute', ARRAY['a' || g, NULL]
        FROM generate_series(1, 3000) g;
      INSERT INTO pairs SELECT g % 50, 'k' || (g / 50), g / 3.0 FROM generate_series(0, 2999) g;
      INSERT INTO words SELECT 'w ' || md5(g::text) || E'\\t"quote\\\\', g, jsonb_build_object('g', g) FROM generate_series(1, 2000) g;
      INSERT INTO bag SELECT g % 10, CASE WHEN g % 3 = 0 THEN NULL ELSE 'same' END FROM generate_series(1, 300) g`);
    let seed = 7;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
    for (let round = 0; round < 12; round++) {
      const k = rnd(7);
      await f.sourceTx(`
        UPDATE accounts SET balance = balance + ${rnd(100)}, updated = now() WHERE id % 7 = ${k};
        UPDATE accounts SET owner = NULL, tags = '{}' WHERE id % 11 = ${rnd(11)};
        DELETE FROM accounts WHERE id % 29 = ${rnd(29)};
        INSERT INTO accounts SELECT g, 'new', 0, NULL, NULL FROM generate_series(${10000 + round * 100}, ${10000 + round * 100 + 49}) g;
        UPDATE accounts SET id = id + 100000 WHERE id % 31 = ${rnd(31)} AND id < 100000;
        UPDATE pairs SET v = v * 2 WHERE a = ${rnd(50)};
        UPDATE pairs SET b = b || 'x' WHERE a = ${rnd(50)};
        DELETE FROM pairs WHERE a = ${rnd(50)} AND b LIKE 'k1%';
        UPDATE words SET n = n + 1, j = j || '{"u": true}' WHERE n % 13 = ${rnd(13)};
        DELETE FROM words WHERE n % 17 = ${rnd(17)};
        UPDATE words SET w = w || '!' WHERE n % 19 = ${rnd(19)};
        UPDATE bag SET b = 'changed' WHERE ctid IN (SELECT ctid FROM bag WHERE a = ${rnd(10)} LIMIT 3);
        DELETE FROM bag WHERE ctid IN (SELECT ctid FROM bag WHERE a = ${rnd(10)} LIMIT 2);
        INSERT INTO bag VALUES (${rnd(10)}, 'same')`);
      // The same keys change again in the next transaction: folding must keep the last write.
      await f.sourceTx(`UPDATE accounts SET balance = -balance WHERE id % 7 = ${k}; DELETE FROM pairs WHERE v > 900`);
      if (round % 4 === 3) await step({ maxChanges: 2000, batchSize: 700 });
    }
    const { applied } = await drain({ maxChanges: 5000, batchSize: 1500 });
    expect(applied).toBeGreaterThan(0);
    await expectSame();
  });

  it("applies exactly once when the slot was not advanced after the target COMMIT", async () => {
    await f.sourceTx(`INSERT INTO counters SELECT g, 0 FROM generate_series(1, 5) g`);
    await drain();
    for (let i = 0; i < 200; i++) await f.sourceTx(`UPDATE counters SET n = n + 1 WHERE id = ${(i % 5) + 1}`);
    // A step that crashes after the target COMMIT, before advancing the slot: apply, commit, no advance.
    const control = (await import("../db/postgres-js")).openPostgres(f.sourceUrl);
    const sql = openDedicated(f.sourceUrl);
    try {
      const session = await ApplySession.open(f.targetUrl, { taskId: f.taskId, mapping, resolveType: sourceTypeResolver(control) });
      for await (const b of pollingReader(sql, f.names).read({ maxChanges: 300, batchSize: 50 })) await session.apply(b.pieces);
      const first = await session.commit();
      expect(first.transactions).toBeGreaterThan(50);
      expect(first.transactions).toBeLessThan(200);
      const [{ total }] = (await f.target`SELECT sum(n)::int AS total FROM counters`) as unknown as [{ total: number }];
      expect(total).toBe(first.transactions);
    } finally {
      await closeDedicated(sql, false);
      await control.close();
    }
    // The next step reads the same transactions again: the checkpoint skips them, nothing doubles.
    const again = await step();
    expect(again.skipped).toBeGreaterThan(50);
    const rest = await drain();
    expect(rest.last.lagBytes).toBeLessThan(1 << 20);
    await expectSame(["counters"]);
    const [{ total }] = (await f.target`SELECT sum(n)::int AS total FROM counters`) as unknown as [{ total: number }];
    expect(total).toBe(200);
  });

  it("keeps an unchanged TOASTed value of more than 1 MB when another column is updated", async () => {
    await f.sourceTx(`INSERT INTO docs SELECT 1, 't', string_agg(md5(g::text), '') FROM generate_series(1, 40000) g`);
    await drain();
    await f.sourceTx(`UPDATE docs SET title = 'changed' WHERE id = 1; UPDATE docs SET title = title || '!' WHERE id = 1`);
    await f.sourceTx(`UPDATE docs SET title = 'again' WHERE id = 1`);
    await drain({ batchSize: 1 });
    const [row] = await f.target`SELECT title, length(body) AS len, md5(body) AS h FROM docs WHERE id = 1`;
    const [want] = await f.source`SELECT md5(body) AS h FROM docs WHERE id = 1`;
    expect(row).toEqual({ title: "again", len: 1_280_000, h: want!.h });
    await expectSame(["docs"]);
  });

  it("propagates truncate, deletes and an added column", async () => {
    await f.sourceTx(`DELETE FROM words WHERE n % 2 = 0; TRUNCATE pairs`);
    await f.sourceTx(`INSERT INTO pairs VALUES (1, 'after', 1)`);
    await f.sourceTx(`ALTER TABLE accounts ADD COLUMN note varchar(20), ADD COLUMN score numeric(6,2) DEFAULT 1.5`);
    await f.sourceTx(`UPDATE accounts SET note = 'n' || id WHERE id % 5 = 0; INSERT INTO accounts (id, note) VALUES (999999, 'fresh')`);
    await drain();
    const columns = await f.target`SELECT column_name::text AS c, data_type::text AS t FROM information_schema.columns WHERE table_name = 'accounts' AND column_name IN ('note', 'score') ORDER BY 1`;
    expect(columns).toEqual([{ c: "note", t: "character varying" }, { c: "score", t: "numeric" }]);
    const [fresh] = await f.target`SELECT note, score::text AS score FROM accounts WHERE id = 999999`;
    expect(fresh).toEqual({ note: "fresh", score: "1.50" });
    expect((await f.target`SELECT count(*)::int AS n FROM pairs`)[0]!.n).toBe(1);
    // Rows untouched since the ADD COLUMN keep NULL on the target where the source has the default: compare the rest.
    await expectSame(["words", "pairs"]);
    const cols = ["id", "owner", "balance", "updated", "tags", "note"];
    expect(await tableDigest(f.target, ref("accounts"), cols)).toEqual(await tableDigest(f.source, ref("accounts"), cols));
  });

  it("applies a 200k-row transaction in pieces never larger than the batch", async () => {
    await f.sourceTx(`INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 200000) g`);
    let largest = 0;
    const recording = (input: CdcStepInput) => {
      const sql = openDedicated(input.source);
      const inner = pollingReader(sql, input);
      const reader: ChangeReader = {
        async *read(options) {
          for await (const b of inner.read(options)) {
            largest = Math.max(largest, b.changes);
            yield b;
          }
        },
      };
      return { reader, close: (failed: boolean) => closeDedicated(sql, failed) };
    };
    const r = await step({ maxChanges: 1000, batchSize: 10_000, reader: recording });
    expect(r).toMatchObject({ applied: 200_000, transactions: 1 });
    expect(largest).toBe(10_000);
    await expectSame(["big"]);
  });
});
