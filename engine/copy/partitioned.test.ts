import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { TableRef } from "../catalog/types";
import { tableDigest } from "../test-support/table-digest";
import { readTableInfo } from "../test-support/table-info";
import { createTestDatabases, type TestDatabases } from "../test-support/test-databases";
import { transferTable } from "../test-support/transfer";

const events: TableRef = { schema: "public", name: "events" };

/** Each partition (leaves and partitioned ones) with its bound and row count, names relative to the root. */
async function layout(sql: TestDatabases["source"], root: TableRef): Promise<string[]> {
  const rows = await sql.unsafe<{ d: string }[]>(
    `SELECT replace(c.relname, $1, '@') || ' ' || coalesce(pg_get_expr(c.relpartbound, c.oid), '') || ' '
            || coalesce(pg_get_partkeydef(c.oid), '') || ' ' || (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text AS d
       FROM pg_partition_tree($2::regclass) t JOIN pg_class c ON c.oid = t.relid JOIN pg_namespace n ON n.oid = c.relnamespace
      ORDER BY 1`,
    [root.name, `"${root.schema}"."${root.name}"`],
  );
  return rows.map((r) => r.d);
}

describe("partitioned tables", () => {
  let dbs: TestDatabases;
  beforeAll(async () => {
    dbs = await createTestDatabases(inject("pgUrl"), "parts");
    await dbs.source.unsafe(`
      CREATE TABLE events (id int, at date, region text, v text, PRIMARY KEY (id, at), CONSTRAINT one_v UNIQUE (v, id, at)) PARTITION BY RANGE (at);
      CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01') PARTITION BY HASH (id);
      CREATE TABLE events_2024_h0 PARTITION OF events_2024 FOR VALUES WITH (MODULUS 2, REMAINDER 0);
      CREATE TABLE events_2024_h1 PARTITION OF events_2024 FOR VALUES WITH (MODULUS 2, REMAINDER 1);
      CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
      CREATE TABLE events_rest PARTITION OF events DEFAULT;
      CREATE INDEX events_region ON events (region);
      INSERT INTO events SELECT g, date '2023-12-01' + (g % 800), (ARRAY['eu', 'us'])[1 + g % 2], 'v' || g FROM generate_series(1, 20000) g;`);
  });
  afterAll(() => dbs?.drop());

  it("keeps the partitions, their bounds and sub-partitioning, renamed with the table, rows routed as on the source", async () => {
    const table = await readTableInfo(dbs.source, events);
    expect(table.partitioning?.key).toBe("RANGE (at)");
    expect(table.partitioning?.partitions.map((p) => [p.name, p.partitioning?.partitions.length ?? 0])).toEqual([
      ["events_2024", 2],
      ["events_2025", 0],
      ["events_rest", 0],
    ]);
    for (const [target, chunkRows] of [[{ schema: "public", name: "events" }, 1_000_000], [{ schema: "copy", name: "events_copy" }, 3000]] as const) {
      const result = await transferTable(dbs, table, { targetRef: target, chunkRows });
      expect(result.chunkRows.reduce((a, b) => a + b, 0)).toBe(20_000);
      expect(await tableDigest(dbs.target, target)).toEqual(await tableDigest(dbs.source, events));
      const partitions = await layout(dbs.source, events);
      expect(partitions).toHaveLength(6);
      expect(await layout(dbs.target, target)).toEqual(partitions);
    }
    const keys = await dbs.target.unsafe<{ def: string }[]>(
      `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'copy.events_copy'::regclass AND contype IN ('p', 'u') ORDER BY 1`,
    );
    expect(keys.map((k) => k.def)).toEqual(["PRIMARY KEY (id, at)", "UNIQUE (v, id, at)"]);
    const [indexes] = await dbs.target.unsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = 'events_copy_2025'`);
    expect(indexes!.n).toBe(3);
    await expect(dbs.target.unsafe(`INSERT INTO copy.events_copy VALUES (1, '2023-12-02', 'eu', 'dup')`)).rejects.toMatchObject({ code: "23505" });
  });
});
