import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { TableRef } from "../catalog/types";
import { tableDigest } from "../test-support/table-digest";
import type { TableMapping } from "./apply";
import { createCdcFixture, type CdcFixture } from "./cdc-test-setup";
import { parseLsn } from "./lsn";
import { emptyStreamStats, runCdcStream, type CdcStreamInput, type CdcStreamStats } from "./stream";

const TABLES = ["accounts", "pairs", "words", "counters", "docs", "bag", "big", "fixed", "coded"];
const DDL = `
  CREATE TABLE accounts (id int8 PRIMARY KEY, owner text, balance numeric(14,2), updated timestamptz, tags text[]);
  CREATE TABLE pairs (a int4, b text, v float8, PRIMARY KEY (a, b));
  CREATE TABLE words (w text PRIMARY KEY, n int, j jsonb);
  CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL);
  CREATE TABLE docs (id int PRIMARY KEY, title text, body text);
  CREATE TABLE bag (a int, b text);
  CREATE TABLE big (id int PRIMARY KEY, v text);
  CREATE TABLE fixed (id char(4) PRIMARY KEY, c char(5), b bit(3), cs char(3)[]);
  CREATE TABLE coded (code text NOT NULL, n int, note text);
  CREATE UNIQUE INDEX coded_code ON coded (code);`;
const ref = (name: string): TableRef => ({ schema: "public", name });

describe("the CDC stream end to end", () => {
  let f: CdcFixture;
  let mapping: TableMapping[];
  beforeAll(async () => {
    f = await createCdcFixture(inject("pgUrl"), "cdcapply");
    await f.source.unsafe(`${DDL}; ALTER TABLE bag REPLICA IDENTITY FULL; ALTER TABLE coded REPLICA IDENTITY USING INDEX coded_code`);
    await f.target.unsafe(DDL);
    mapping = TABLES.map((t) => ({ source: ref(t), target: ref(t) }));
    await f.publish(TABLES.map(ref));
    await f.createSlot();
  });
  afterAll(() => f?.drop());

  type Extra = Partial<Omit<CdcStreamInput, "signal" | "stats">>;

  /** Starts a stream; `stop()` aborts it and resolves with its stats (rejects with its failure). */
  function start(extra: Extra = {}) {
    const controller = new AbortController();
    const stats = emptyStreamStats();
    const done = runCdcStream({ source: f.sourceUrl, target: f.targetUrl, ...f.names, taskId: f.taskId, mapping, signal: controller.signal, stats, ...extra });
    done.catch(() => {});
    return {
      stats,
      done,
      async stop(): Promise<CdcStreamStats> {
        controller.abort();
        await done;
        return stats;
      },
    };
  }

  async function confirmedFlush(): Promise<bigint> {
    const [row] = await f.source`SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = ${f.names.slot}`;
    return parseLsn(row!.lsn as string);
  }

  /** Streams until the slot has confirmed everything written so far, then stops. */
  async function drain(extra: Extra = {}): Promise<CdcStreamStats> {
    const [row] = await f.source`SELECT pg_current_wal_flush_lsn()::text AS lsn`;
    const upto = parseLsn(row!.lsn as string);
    const s = start({ ackIntervalMs: 0, ...extra });
    const deadline = Date.now() + 60_000;
    while ((await confirmedFlush()) < upto) {
      if (Date.now() > deadline) throw new Error("the stream never caught up");
      await Promise.race([s.done, new Promise((r) => setTimeout(r, 25))]);
    }
    return s.stop();
  }

  async function expectSame(tables = TABLES) {
    for (const t of tables) expect(await tableDigest(f.target, ref(t)), t).toEqual(await tableDigest(f.source, ref(t)));
  }

  it("converges on a random workload over several tables, keys changing, written while it streams", async () => {
    // Streaming while the source is written: small pending bounds and commit windows cut it in many batches.
    const live = start({ maxPendingChanges: 700, commitDelayMs: 5 });
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
    }
    const during = await live.stop();
    const after = await drain({ maxPendingChanges: 1500 });
    expect(during.changes + after.changes).toBeGreaterThan(10_000);
    expect(during.peakPendingChanges).toBeLessThanOrEqual(700 + 1);
    expect(parseLsn(after.receivedLsn!)).toBeGreaterThan(0n);
    await expectSame();
  });

  it("applies exactly once when COMMITs were not acknowledged, or the stream was stopped at any point", async () => {
    await f.sourceTx(`INSERT INTO counters SELECT g, 0 FROM generate_series(1, 5) g`);
    await drain();
    for (let i = 0; i < 200; i++) await f.sourceTx(`UPDATE counters SET n = n + 1 WHERE id = ${(i % 5) + 1}`);
    const total = async () => ((await f.target`SELECT sum(n)::int AS total FROM counters`) as unknown as [{ total: number }])[0].total;
    // Applied and committed, never acknowledged: as if the runner died between COMMIT and acknowledgement.
    const silent = start({ ackIntervalMs: 3_600_000, commitDelayMs: 1 });
    // Read once this stream holds the slot: the previous walsender is gone, its last acknowledgement counted.
    while (!silent.stats.connected) await new Promise((r) => setTimeout(r, 5));
    const before = await confirmedFlush();
    while ((await total()) < 200) await new Promise((r) => setTimeout(r, 20));
    const first = await silent.stop();
    expect(first.transactions).toBe(200);
    expect(await confirmedFlush()).toBe(before);
    // The server sends the same transactions again: the checkpoint skips every one, nothing doubles.
    const again = await drain();
    expect(again.skipped).toBe(200);
    expect(again.transactions).toBe(0);
    expect(await total()).toBe(200);

    // Stopped at random points while transactions stream in: every increment lands exactly once.
    let seed = 11;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
    for (let round = 0; round < 6; round++) {
      const writes = (async () => {
        for (let i = 0; i < 50; i++) await f.sourceTx(`UPDATE counters SET n = n + 1 WHERE id = ${(i % 5) + 1}`);
      })();
      const s = start({ commitDelayMs: rnd(20), ackIntervalMs: rnd(100) });
      await new Promise((r) => setTimeout(r, 20 + rnd(200)));
      await s.stop();
      await writes;
    }
    const last = await drain();
    expect(last.lagBytes).toBeLessThan(1 << 20);
    expect(await total()).toBe(200 + 6 * 50);
    await expectSame(["counters"]);
  });

  it("commits nothing when a statement fails, whether in the last batch sent or in one that others follow", async () => {
    await f.sourceTx(`INSERT INTO counters SELECT g, 0 FROM generate_series(1000, 1999) g`);
    await drain();
    const checkpoint = async () => (await f.target`SELECT lsn::text AS lsn FROM _dtaas.checkpoints WHERE task_id = ${f.taskId}`)[0]!.lsn as string;
    const sum = async () => (await f.target`SELECT sum(n)::int AS n FROM counters WHERE id >= 1000`)[0]!.n as number;
    const refused = `UPDATE counters SET n = 5000 WHERE id = 1000`;
    const others = `UPDATE counters SET n = n + 1 WHERE id > 1000 AND id < 2000`;
    // One source transaction in many pieces; the row the target refuses comes last, then first.
    for (const text of [`${others}; ${refused}`, `${refused}; ${others}`]) {
      const before = [await confirmedFlush(), await checkpoint(), await sum()];
      await f.target.unsafe(`ALTER TABLE counters ADD CONSTRAINT counters_small CHECK (n < 1000)`);
      await f.sourceTx(text);
      const failed = start({ maxPendingChanges: 50, commitDelayMs: 0, ackIntervalMs: 0 });
      await expect(failed.done).rejects.toMatchObject({ code: "DATABASE_ERROR", details: { sqlstate: "23514" } });
      expect(failed.stats.transactions).toBe(0);
      expect([await confirmedFlush(), await checkpoint(), await sum()]).toEqual(before);
      await f.target.unsafe(`ALTER TABLE counters DROP CONSTRAINT counters_small`);
      await f.sourceTx(`UPDATE counters SET n = 0 WHERE id = 1000`);
      await drain();
      await expectSame(["counters"]);
    }
  });

  it("writes char(n) and bit(n) values whole, keys included", async () => {
    await f.sourceTx(`INSERT INTO fixed VALUES ('k1', 'abcde', B'101', ARRAY['xyz', 'ab']), ('k2', 'x', B'011', NULL)`);
    await f.sourceTx(`UPDATE fixed SET c = 'fghij', b = B'110' WHERE id = 'k1'; UPDATE fixed SET id = 'k3' WHERE id = 'k2'`);
    await drain();
    expect(await f.target`SELECT id, c, b::text AS b, cs FROM fixed ORDER BY id`).toEqual([
      { id: "k1  ", c: "fghij", b: "110", cs: ["xyz", "ab "] },
      { id: "k3  ", c: "x    ", b: "011", cs: null },
    ]);
    await expectSame(["fixed"]);
  });

  it("changes the right rows of a table without primary key whose replica identity is a unique index", async () => {
    await f.sourceTx(`INSERT INTO coded SELECT 'c' || g, g, CASE WHEN g % 2 = 0 THEN 'same' END FROM generate_series(1, 50) g`);
    // Identity columns unchanged (no old tuple sent), changed (the old key sent), and deletes by key.
    await f.sourceTx(`UPDATE coded SET n = n * 10 WHERE n % 5 = 0; UPDATE coded SET code = 'moved-' || code, note = 'same' WHERE n % 7 = 0`);
    await f.sourceTx(`DELETE FROM coded WHERE n % 3 = 0; UPDATE coded SET note = NULL WHERE code = 'c2'`);
    await drain();
    expect((await f.target`SELECT count(*)::int AS n FROM coded WHERE code LIKE 'moved-%'`)[0]!.n).toBe(5);
    await expectSame(["coded"]);
  });

  it("keeps an unchanged TOASTed value of more than 1 MB when another column is updated", async () => {
    await f.sourceTx(`INSERT INTO docs SELECT 1, 't', string_agg(md5(g::text), '') FROM generate_series(1, 40000) g`);
    await drain();
    await f.sourceTx(`UPDATE docs SET title = 'changed' WHERE id = 1; UPDATE docs SET title = title || '!' WHERE id = 1`);
    await f.sourceTx(`UPDATE docs SET title = 'again' WHERE id = 1`);
    await drain({ maxPendingChanges: 1 });
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

  it("takes the slot over from a stream that still holds it, and names a missing slot", async () => {
    const older = start();
    while (!older.stats.connected) await new Promise((r) => setTimeout(r, 10));
    const newer = start();
    await expect(older.done).rejects.toMatchObject({ retryable: true });
    await f.sourceTx(`INSERT INTO counters VALUES (100, 1)`);
    while (newer.stats.transactions < 1) await new Promise((r) => setTimeout(r, 10));
    await newer.stop();
    expect((await f.target`SELECT n FROM counters WHERE id = 100`)[0]).toEqual({ n: 1 });
    await expect(start({ slot: "dtaas_no_such_slot" }).done).rejects.toMatchObject({ code: "SLOT_MISSING", retryable: false });
  });

  it("keeps an idle stream alive by asking for keepalives, and fails retryable CDC_STREAM_STALLED when the server goes silent", async () => {
    const s = start({ receiveTimeoutMs: 1500 });
    while (!s.stats.connected) await new Promise((r) => setTimeout(r, 10));
    // Idle far longer than the timeout: the server answers this side's keepalive requests (on its own it
    // would send one only after half of wal_sender_timeout, 30 s).
    const settled = await Promise.race([s.done.then(() => "ended", () => "failed"), new Promise((r) => setTimeout(() => r("alive"), 4000))]);
    expect(settled).toBe("alive");
    const [slot] = await f.source`SELECT active_pid FROM pg_replication_slots WHERE slot_name = ${f.names.slot}`;
    const walsender = slot!.active_pid as number;
    // A frozen walsender: its socket stays open and says nothing, like a peer that vanished without a reset.
    process.kill(walsender, "SIGSTOP");
    try {
      await expect(s.done).rejects.toMatchObject({ code: "CDC_STREAM_STALLED", retryable: true });
    } finally {
      process.kill(walsender, "SIGCONT");
    }
    // The next stream takes the slot over from the thawed walsender and carries on.
    await f.sourceTx(`INSERT INTO counters VALUES (101, 1)`);
    await drain();
    expect((await f.target`SELECT n FROM counters WHERE id = 101`)[0]).toEqual({ n: 1 });
  });

  it("applies a 200k-row transaction holding no more than the pending bound", async () => {
    await f.sourceTx(`INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 200000) g`);
    const r = await drain({ maxPendingChanges: 10_000 });
    expect(r).toMatchObject({ changes: 200_000, transactions: 1 });
    expect(r.peakPendingChanges).toBeGreaterThan(1000);
    // A frame already read when the socket pauses still lands: the bound is exceeded by at most a few.
    expect(r.peakPendingChanges).toBeLessThanOrEqual(10_000 + 100);
    await expectSame(["big"]);
  });
});
