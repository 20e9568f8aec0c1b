import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { TableRef } from "../catalog/types";
import { prepareTarget } from "../ddl/prepare-target";
import { tableDigest } from "../test-support/table-digest";
import { readTableInfo } from "../test-support/table-info";
import { createCdcFixture, drainStream, type CdcFixture } from "./cdc-test-setup";

const items: TableRef = { schema: "public", name: "items" };

describe("CDC into a table with a generated column", () => {
  let f: CdcFixture;
  beforeAll(async () => {
    f = await createCdcFixture(inject("pgUrl"), "cdcgen");
    await f.source.unsafe(`
      CREATE TABLE items (id int PRIMARY KEY, price numeric(10,2), qty int, total numeric GENERATED ALWAYS AS (price * qty) STORED,
                          label text GENERATED ALWAYS AS (upper('item ' || id)) STORED)`);
    // The target as a run prepares it: the generated columns generated there too.
    await prepareTarget(f.source, f.target, [{ table: await readTableInfo(f.source, items), targetRef: items }]);
    await f.target.unsafe(`ALTER TABLE items ADD PRIMARY KEY (id)`);
    await f.publish([items]);
    await f.createSlot();
  });
  afterAll(() => f?.drop());

  it("has the target compute what pgoutput does not send", async () => {
    await f.sourceTx(`INSERT INTO items (id, price, qty) SELECT g, g * 1.25, g % 7 FROM generate_series(1, 500) g`);
    await f.sourceTx(`UPDATE items SET qty = qty + 1 WHERE id % 3 = 0; DELETE FROM items WHERE id % 10 = 0`);
    await drainStream(f, [{ source: items, target: items }]);
    const [nulls] = await f.target.unsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM items WHERE total IS NULL OR label IS NULL`);
    expect(nulls!.n).toBe(0);
    expect(await tableDigest(f.target, items)).toEqual(await tableDigest(f.source, items));
  });
});
