/**
 * Measures CDC catch-up on a pgbench-like backlog (not part of the test suite):
 *   npx tsx engine/cdc/measure-apply-rate.ts            (embedded PostgreSQL 17 in a temp dir)
 *   DTAAS_TEST_PG_URL=postgres://… npx tsx engine/cdc/measure-apply-rate.ts
 * Two backlogs of ~100k changes each: "tpcb" (pgbench's transaction: accounts, tellers, branches updates
 * and a history insert; hot teller/branch rows fold away) and "accounts" (single-row update transactions
 * on random accounts: almost no folding, one transaction per change: the hard case).
 */
import { closeDedicated, openDedicated } from "../copy/dedicated-connection";
import { openPostgres } from "../db/postgres-js";
import { startTestPostgres } from "../../test/support/test-postgres";
import { createCdcFixture } from "./cdc-test-setup";
import { ApplySession } from "./apply";
import { runCdcOnce } from "./loop";
import { pollingReader, type ChangeBatch } from "./read";
import { sourceTypeResolver } from "./schema-change";

const SCALE = 1; // pgbench scale: 100k accounts, 10 tellers, 1 branch
const DDL = `
  CREATE TABLE pgbench_branches (bid int PRIMARY KEY, bbalance int, filler char(88));
  CREATE TABLE pgbench_tellers (tid int PRIMARY KEY, bid int, tbalance int, filler char(84));
  CREATE TABLE pgbench_accounts (aid int PRIMARY KEY, bid int, abalance int, filler char(84));
  CREATE TABLE pgbench_history (id bigserial PRIMARY KEY, tid int, bid int, aid int, delta int, mtime timestamp, filler char(22));`;
const LOAD = `
  INSERT INTO pgbench_branches SELECT b, 0, '' FROM generate_series(1, ${SCALE}) b;
  INSERT INTO pgbench_tellers SELECT t, (t - 1) / 10 + 1, 0, '' FROM generate_series(1, ${10 * SCALE}) t;
  INSERT INTO pgbench_accounts SELECT a, (a - 1) / 100000 + 1, 0, '' FROM generate_series(1, ${100000 * SCALE}) a;`;
const PROCS = `
  CREATE PROCEDURE tpcb(n int) LANGUAGE plpgsql AS $$
  DECLARE v_aid int; v_tid int; v_delta int;
  BEGIN
    FOR i IN 1..n LOOP
      v_aid := 1 + floor(random() * ${100000 * SCALE}); v_tid := 1 + floor(random() * ${10 * SCALE}); v_delta := floor(random() * 10001) - 5000;
      UPDATE pgbench_accounts SET abalance = abalance + v_delta WHERE aid = v_aid;
      UPDATE pgbench_tellers SET tbalance = tbalance + v_delta WHERE tid = v_tid;
      UPDATE pgbench_branches SET bbalance = bbalance + v_delta WHERE bid = 1;
      INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (v_tid, 1, v_aid, v_delta, now());
      COMMIT;
    END LOOP;
  END $$;
  CREATE PROCEDURE single(n int) LANGUAGE plpgsql AS $$
  DECLARE v_aid int;
  BEGIN
    FOR i IN 1..n LOOP
      -- A variable, not random() in the WHERE clause: a volatile condition would scan the whole table.
      v_aid := 1 + floor(random() * ${100000 * SCALE});
      UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = v_aid;
      COMMIT;
    END LOOP;
  END $$;`;
const TABLES = ["pgbench_branches", "pgbench_tellers", "pgbench_accounts", "pgbench_history"];

async function main() {
  const pg = await startTestPostgres();
  const f = await createCdcFixture(pg.url, "cdcrate");
  try {
    await f.source.unsafe(DDL + LOAD + PROCS);
    await f.target.unsafe(DDL + LOAD);
    const mapping = TABLES.map((name) => ({ source: { schema: "public", name }, target: { schema: "public", name } }));
    await f.publish(mapping.map((m) => m.source));
    await f.createSlot();
    for (const [name, call] of [["tpcb", "CALL tpcb(25000)"], ["accounts", "CALL single(100000)"]] as const) {
      await f.source.unsafe(call);
      await f.source.unsafe(`SELECT pg_switch_wal()`); // flushes the WAL: the whole backlog is readable
      // 1. Read + decode only.
      let t = performance.now();
      const batches: ChangeBatch[] = [];
      const sql = openDedicated(f.sourceUrl);
      for await (const b of pollingReader(sql, f.names).read({ maxChanges: 10_000_000, batchSize: 10_000 })) batches.push(b);
      await closeDedicated(sql, false);
      const changes = batches.reduce((n, b) => n + b.changes, 0);
      const readMs = performance.now() - t;
      // 2. Apply only (batches already in memory), one target transaction, then rolled back by abort.
      const control = openPostgres(f.sourceUrl);
      const session = await ApplySession.open(f.targetUrl, { taskId: "measure", mapping, resolveType: sourceTypeResolver(control) });
      t = performance.now();
      for (const b of batches) await session.apply(b.pieces);
      const applyMs = performance.now() - t;
      await session.abort();
      await control.close();
      // 3. The real step: read, decode, apply, commit, advance.
      t = performance.now();
      const step = await runCdcOnce({ source: f.sourceUrl, target: f.targetUrl, ...f.names, taskId: f.taskId, mapping, maxChanges: 10_000_000 });
      const stepMs = performance.now() - t;
      const rate = (ms: number) => Math.round(changes / (ms / 1000)).toLocaleString("en");
      console.log(
        `${name}: ${changes} changes in ${batches.reduce((n, b) => n + b.pieces.length, 0)} pieces — read+decode ${readMs.toFixed(0)} ms (${rate(readMs)}/s), ` +
          `apply ${applyMs.toFixed(0)} ms (${rate(applyMs)}/s), full step ${stepMs.toFixed(0)} ms (${rate(stepMs)}/s; applied ${step.applied}, lag ${step.lagBytes} B)`,
      );
    }
    for (const t of TABLES) {
      const q = `SELECT md5(string_agg(x::text, ',' ORDER BY x::text)) AS h FROM ${t} x`;
      const [[a], [b]] = await Promise.all([f.source.unsafe(q), f.target.unsafe(q)]);
      console.log(`${t}: ${a!.h === b!.h ? "equal" : "DIFFERENT"}`);
    }
  } finally {
    await f.drop();
    await pg.stop();
  }
}

await main();
