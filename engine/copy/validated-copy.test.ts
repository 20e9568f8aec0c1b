import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { TableRef } from "../catalog/types";
import { prepareTarget } from "../ddl/prepare-target";
import type { Chunk } from "../plan/chunk";
import { tableDigest } from "../test-support/table-digest";
import { readTableInfo } from "../test-support/table-info";
import { createTestDatabases, type TestDatabases } from "../test-support/test-databases";
import { copyChunk } from "./copy-chunk";
import { finishTable } from "./finish";
import { planChunks } from "../plan/plan-chunks";
import { closeDedicated, openDedicated } from "./dedicated-connection";

const ref = (name: string): TableRef => ({ schema: "public", name });
const all: Chunk = { index: 0, lo: null, hi: null, wholeTable: false };

describe("copyChunk with validation", () => {
  let dbs: TestDatabases;
  beforeAll(async () => {
    dbs = await createTestDatabases(inject("pgUrl"), "validated");
    await dbs.source.unsafe(`
      CREATE TABLE live (id int PRIMARY KEY, v text, n numeric);
      INSERT INTO live SELECT g, 'row ' || g, g / 8.0 FROM generate_series(1, 50000) g;
      CREATE TABLE live_before AS SELECT * FROM live;
      CREATE TABLE tampered (id int PRIMARY KEY, v text);
      INSERT INTO tampered SELECT g, 'row ' || g FROM generate_series(1, 1000) g;
    `);
  });
  afterAll(() => dbs?.drop());

  /** Polls until `check` holds (a deadline only guards against hanging). */
  async function until(check: () => Promise<boolean>): Promise<void> {
    for (const deadline = Date.now() + 30_000; !(await check()); ) {
      if (Date.now() > deadline) throw new Error("condition never held");
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it("copies and checksums the snapshot the COPY reads while the source is written meanwhile", async () => {
    const table = await readTableInfo(dbs.source, ref("live"));
    await prepareTarget(dbs.source, dbs.target, [{ table, targetRef: ref("live") }]);
    // Holds the copy's target transaction at its first statement; its source snapshot is exported by then.
    const blocker = openDedicated(dbs.targetUrl);
    await blocker.unsafe("BEGIN; LOCK TABLE live IN ACCESS EXCLUSIVE MODE");
    const copying = copyChunk({ source: dbs.sourceUrl, target: dbs.targetUrl, table, targetRef: ref("live"), chunk: all, validate: true });
    try {
      await until(async () => {
        const [r] = await dbs.target.unsafe(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'dtaas-copy' AND wait_event_type = 'Lock'`);
        return r!.n > 0;
      });
      await dbs.source.unsafe(`
        UPDATE live SET v = v || ' changed' WHERE id % 7 = 0;
        DELETE FROM live WHERE id % 11 = 0;
        INSERT INTO live SELECT g, 'new', 0 FROM generate_series(50001, 50100) g;`);
    } finally {
      await blocker.unsafe("COMMIT");
      await closeDedicated(blocker, false);
    }
    const result = await copying;
    expect(result.rows).toBe(50000);
    expect(result.checksum!.rows).toBe(50000);
    // What the COPY read (its snapshot, before the writes) is what finishing the table reads on the target.
    const finished = await finishTable({ source: dbs.source, target: dbs.target, table, targetRef: ref("live"), created: true, checksum: { chunks: [all] } });
    expect(finished.checksums).toEqual([{ index: 0, ...result.checksum! }]);
    expect(await tableDigest(dbs.target, ref("live"))).toEqual(await tableDigest(dbs.source, ref("live_before")));
    expect(await tableDigest(dbs.source, ref("live"))).not.toEqual(await tableDigest(dbs.source, ref("live_before")));
  });

  it("tells a chunk the target stored differently, per chunk, in one scan of the target", async () => {
    const table = await readTableInfo(dbs.source, ref("tampered"));
    await prepareTarget(dbs.source, dbs.target, [{ table, targetRef: ref("tampered") }]);
    await dbs.target.unsafe(`
      CREATE FUNCTION tamper() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.id = 500 THEN NEW.v := 'tampered'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER tamper BEFORE INSERT ON tampered FOR EACH ROW EXECUTE FUNCTION tamper();`);
    const chunks = await planChunks(dbs.source, table, { chunkRows: 250 });
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    const sums: { index: number; rows: number; hash: string }[] = [];
    for (const chunk of chunks) {
      const result = await copyChunk({ source: dbs.sourceUrl, target: dbs.targetUrl, table, targetRef: ref("tampered"), chunk, validate: true });
      sums.push({ index: chunk.index, ...result.checksum! });
    }
    const { checksums } = await finishTable({ source: dbs.source, target: dbs.target, table, targetRef: ref("tampered"), created: true, checksum: { chunks } });
    const owner = chunks.find((c) => Number(c.lo?.[0] ?? -Infinity) <= 500 && 500 < Number(c.hi?.[0] ?? Infinity))!;
    const differing = checksums!.filter((t) => {
      const s = sums.find((x) => x.index === t.index)!;
      return s.rows !== t.rows || s.hash !== t.hash;
    });
    expect(differing.map((t) => t.index)).toEqual([owner.index]);
    expect(differing[0]!.rows).toBe(sums.find((x) => x.index === owner.index)!.rows);
    expect(checksums!.reduce((n, t) => n + t.rows, 0)).toBe(1000);
  });
});
