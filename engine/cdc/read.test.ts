import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createCdcFixture, type CdcFixture } from "./cdc-test-setup";
import { PgOutputDecoder, UNCHANGED_TOAST, type PgOutputMessage } from "./decode";
import { Grouper, type ChangeBatch } from "./read";

describe("reading changes from a real slot", () => {
  let f: CdcFixture;
  beforeAll(async () => {
    f = await createCdcFixture(inject("pgUrl"), "cdcread");
    await f.source.unsafe(`
      CREATE TABLE items (id int PRIMARY KEY, name text, big text, price numeric(10,2));
      CREATE TABLE other (k text PRIMARY KEY);
      CREATE TABLE unpublished (id int);`);
    await f.publish([{ schema: "public", name: "items" }, { schema: "public", name: "other" }]);
    await f.createSlot();
  });
  afterAll(() => f?.drop());

  async function peek(): Promise<PgOutputMessage[]> {
    const d = new PgOutputDecoder();
    return (await f.peekChanges()).map((data) => d.decode(data));
  }

  async function groupAll(): Promise<ChangeBatch> {
    const grouper = new Grouper();
    for (const data of await f.peekChanges()) grouper.add(data);
    const batch = grouper.take();
    // Every transaction ended: nothing stays behind for a later take.
    expect(grouper.idle).toBe(true);
    return batch;
  }

  it("decodes inserts, updates (incl. unchanged TOAST and key change), deletes and truncate exactly", async () => {
    await f.sourceTx(`INSERT INTO items VALUES (1, 'one', (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 200) g), 1.50), (2, NULL, NULL, NULL)`);
    await f.sourceTx(`INSERT INTO unpublished VALUES (1)`);
    await f.sourceTx(`UPDATE items SET name = 'uno' WHERE id = 1; UPDATE items SET id = 3 WHERE id = 2`);
    await f.sourceTx(`DELETE FROM items WHERE id = 3; INSERT INTO other VALUES ('é''s')`);
    await f.sourceTx(`TRUNCATE other, items RESTART IDENTITY`);

    const messages = await peek();
    expect(messages.map((m) => m.tag)).toEqual([
      "begin", "relation", "insert", "insert", "commit",
      "begin", "update", "update", "commit",
      "begin", "delete", "relation", "insert", "commit",
      // TRUNCATE gives the tables new storage: pgoutput sends their Relation messages again.
      "begin", "relation", "relation", "truncate", "commit",
    ]);
    const rel = messages[1]!;
    expect(rel.tag === "relation" && rel.relation).toMatchObject({
      schema: "public", name: "items", replicaIdentity: "d",
      columns: [
        { name: "id", typeOid: 23, isKey: true, typeMod: -1 },
        { name: "name", typeOid: 25, isKey: false },
        { name: "big", typeOid: 25, isKey: false },
        { name: "price", typeOid: 1700, isKey: false, typeMod: ((10 << 16) | 2) + 4 },
      ],
    });
    const bigValue = (await f.source`SELECT string_agg(md5(g::text), '') AS big FROM generate_series(1, 200) g`)[0]!.big as string;
    expect(bigValue.length).toBe(6400);
    expect(messages[2]).toMatchObject({ tag: "insert", new: ["1", "one", bigValue, "1.50"] });
    expect(messages[3]).toMatchObject({ tag: "insert", new: ["2", null, null, null] });
    expect(messages[6]).toMatchObject({ tag: "update", old: null, new: ["1", "uno", UNCHANGED_TOAST, "1.50"] });
    expect(messages[7]).toMatchObject({ tag: "update", old: { kind: "key", values: ["2", null, null, null] }, new: ["3", null, null, null] });
    expect(messages[10]).toMatchObject({ tag: "delete", old: { kind: "key", values: ["3", null, null, null] } });
    expect(messages[12]).toMatchObject({ tag: "insert", new: ["é's"] });
    const trunc = messages[17]!;
    expect(trunc).toMatchObject({ tag: "truncate", cascade: false, restartIdentity: true });
    expect(trunc.tag === "truncate" && trunc.relationIds).toHaveLength(2);
    const begin = messages[0]!;
    const commit = messages[4]!;
    if (begin.tag !== "begin" || commit.tag !== "commit") throw new Error("unreachable");
    expect(begin.finalLsn).toBe(commit.commitLsn);
    expect(commit.endLsn).toBeGreaterThan(commit.commitLsn);

    // The same messages group into four final pieces, in commit order.
    const batch = await groupAll();
    expect(batch!.changes).toBe(7);
    expect(batch!.pieces.map((p) => [p.final, p.changes.map((c) => c.kind)])).toEqual([
      [true, ["insert", "insert"]],
      [true, ["update", "update"]],
      [true, ["delete", "insert"]],
      [true, ["truncate"]],
    ]);
    const lsns = batch!.pieces.map((p) => p.commitLsn);
    expect([...lsns].sort((a, b) => (a < b ? -1 : 1))).toEqual(lsns);
    const trunc2 = batch!.pieces[3]!.changes[0]!;
    expect(trunc2.kind === "truncate" && trunc2.relations.map((r) => r.name).sort()).toEqual(["items", "other"]);
  });

  it("takes whole transactions only, when asked, while an open one stays behind", async () => {
    // The slot still holds the transactions above (peeked, never consumed): stop inside the third one.
    const rows = await f.source.unsafe<{ data: Uint8Array }[]>(
      `SELECT data FROM pg_logical_slot_peek_binary_changes($1, NULL, NULL, 'proto_version', '1', 'publication_names', $2)`,
      [f.names.slot, f.names.publication],
    );
    const grouper = new Grouper();
    for (const row of rows.slice(0, 13)) grouper.add(row.data);
    const whole = grouper.take(true);
    expect(whole.pieces.map((p) => [p.final, p.changes.length])).toEqual([[true, 2], [true, 2]]);
    expect(whole.changes).toBe(4);
    expect([grouper.size, grouper.idle]).toEqual([2, false]);
    // With no complete transaction held, the open one leaves as a piece (its commit may be far away).
    const partial = grouper.take(true);
    expect(partial.pieces.map((p) => [p.final, p.changes.map((c) => c.kind)])).toEqual([[false, ["delete", "insert"]]]);
    expect(grouper.size).toBe(0);
    grouper.add(rows[13]!.data);
    expect(grouper.take(true).pieces.map((p) => [p.final, p.changes.length])).toEqual([[true, 0]]);
    expect(grouper.idle).toBe(true);
  });
});
