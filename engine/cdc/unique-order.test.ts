import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { TableRef } from "../catalog/types";
import { tableDigest } from "../test-support/table-digest";
import { ApplyTarget } from "./apply";
import { createCdcFixture, drainStream, type CdcFixture } from "./cdc-test-setup";
import { Grouper, type ChangeBatch } from "./read";

const ref = (name: string): TableRef => ({ schema: "public", name });
const TABLES = ["people", "seats"];
const mapping = TABLES.map((t) => ({ source: ref(t), target: ref(t) }));
const DDL = `
  CREATE TABLE people (id int PRIMARY KEY, email text NOT NULL UNIQUE, n int);
  CREATE TABLE seats (id int PRIMARY KEY, seat int, CONSTRAINT one_per_seat UNIQUE (seat) DEFERRABLE);
  INSERT INTO people SELECT g, 'p' || g || '@x', 0 FROM generate_series(1, 20) g;
  INSERT INTO seats SELECT g, g FROM generate_series(1, 10) g;`;

/** A source and target holding the same rows, the source published, with a slot. */
async function fixture(label: string): Promise<CdcFixture> {
  const f = await createCdcFixture(inject("pgUrl"), label);
  for (const db of [f.source, f.target]) await db.unsafe(DDL);
  await f.publish(TABLES.map(ref));
  await f.createSlot();
  return f;
}

async function expectSame(f: CdcFixture) {
  for (const t of TABLES) expect(await tableDigest(f.target, ref(t)), t).toEqual(await tableDigest(f.source, ref(t)));
}

describe("applying changes that hand unique values between rows", () => {
  let f: CdcFixture;
  beforeAll(async () => {
    f = await fixture("cdcuniq");
  });
  afterAll(() => f?.drop());

  /** Every change in the slot so far, whole transactions, as one batch (the slot is not consumed). */
  async function everything(): Promise<ChangeBatch> {
    const grouper = new Grouper();
    for (const data of await f.peekChanges()) grouper.add(data);
    return grouper.take();
  }

  const connect = (orderedThrough?: bigint) =>
    ApplyTarget.connect(f.targetUrl, { taskId: f.taskId, mapping, orderedThrough, resolveType: () => Promise.reject(new Error("no schema change here")) });

  async function applyAll(orderedThrough?: bigint): Promise<void> {
    const target = await connect(orderedThrough);
    try {
      const session = await target.begin();
      await session.apply((await everything()).pieces);
      await session.commit();
    } finally {
      await target.close(false);
    }
  }

  it("breaks a UNIQUE index when folded, and applies in source order", async () => {
    // Row 1 hands p1 to row 2 through a placeholder and takes p2: folded, one statement sets both.
    await f.sourceTx(`
      UPDATE people SET email = 'tmp' WHERE id = 1;
      UPDATE people SET email = 'p1@x' WHERE id = 2;
      UPDATE people SET email = 'p2@x', n = 1 WHERE id = 1;
      DELETE FROM people WHERE id = 3;
      UPDATE people SET email = 'p3@x' WHERE id = 4;
      INSERT INTO people VALUES (21, 'p4@x', 2);`);
    const target = await connect();
    const session = await target.begin();
    await expect(session.apply((await everything()).pieces).then(() => session.commit())).rejects.toMatchObject({ details: { sqlstate: "23505" } });
    expect(session.folded).toBe(true);
    await target.close(true);

    await applyAll(2n ** 62n);
    await expectSame(f);
  });

  it("checks deferrable constraints at COMMIT: one source statement replayed row by row passes through duplicates", async () => {
    // One statement on the source (its DEFERRABLE constraint checked at the statement's end), ten in order.
    await f.sourceTx(`UPDATE seats SET seat = 11 - seat`);
    await applyAll(2n ** 62n);
    await expectSame(f);
  });
});

describe("the stream meeting a unique violation", () => {
  let f: CdcFixture;
  beforeAll(async () => {
    f = await fixture("cdcuniqs");
  });
  afterAll(() => f?.drop());

  const drain = () => drainStream(f, mapping);

  it("restarts in source order after a folded batch broke, and converges", async () => {
    await f.sourceTx(`UPDATE people SET email = 'tmp' WHERE id = 5; UPDATE people SET email = 'p5@x' WHERE id = 6; UPDATE people SET email = 'p6@x' WHERE id = 5;`);
    // Whether the hand-over lands in one folded batch depends on how the frames arrive: at most one restart.
    const first = await drain().then(() => null, (e: unknown) => e);
    if (first !== null) {
      expect(first).toMatchObject({ code: "CDC_UNIQUE_REORDER", retryable: true });
      await drain();
    }
    await expectSame(f);
  });

  it("fails for good when the target itself holds the value: in source order it breaks again", async () => {
    await f.target.unsafe(`INSERT INTO people VALUES (100, 'taken@x', 0)`);
    await f.sourceTx(`INSERT INTO people VALUES (22, 'taken@x', 0)`);
    await expect(drain()).rejects.toMatchObject({ code: "CDC_UNIQUE_REORDER", retryable: true });
    const again = await drain().then(() => null, (e: unknown) => e);
    expect(again).toMatchObject({ retryable: false, details: { sqlstate: "23505" } });
  });
});
