import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import WebSocket from "ws";
import { openConnection } from "./connect";
import { openPostgres } from "./postgres-js";
import type { Queryable } from "./queryable";
import { bothAdapters, createScratchDatabase, type ScratchDatabase } from "./scratch-database";

let db: ScratchDatabase;
beforeAll(async () => {
  db = await createScratchDatabase(inject("pgUrl"), "adapters");
  const admin = openPostgres(db.url);
  await admin.query("CREATE TABLE t (id int PRIMARY KEY, tags text[])");
  await admin.close();
});
afterAll(() => db.drop());

describe.each(bothAdapters(inject("neonProxy"), WebSocket as never))("%s adapter", (_adapter, open) => {
  let q: Queryable;
  beforeAll(async () => {
    q = await open(db.url);
  });
  afterAll(() => q.close());

  it("binds $n parameters the same way", async () => {
    const rows = await q.query("SELECT $1::text[] AS a, $2::int + 1 AS b, $3::bool AS c, $4::text IS NULL AS d", [["x", 'y"z', null], 41, false, null]);
    expect(rows).toEqual([{ a: ["x", 'y"z', null], b: 42, c: false, d: true }]);
  });

  it("returns the raw text with the type OIDs", async () => {
    expect(await q.queryRaw("SELECT 1::int8 AS n, NULL::text AS t")).toEqual({
      command: "SELECT",
      columns: [{ name: "n", typeOid: 20 }, { name: "t", typeOid: 25 }],
      rows: [["1", null]],
    });
  });

  it("commits a transaction and rolls back a failed one", async () => {
    await q.transaction(async (tx) => {
      await tx.query("INSERT INTO t VALUES (1, '{a}')");
    });
    const failed = await q
      .transaction(async (tx) => {
        await tx.query("INSERT INTO t VALUES (2, '{b}')");
        throw new Error("boom");
      })
      .catch((e: Error) => e.message);
    expect(failed).toBe("boom");
    expect(await q.query("SELECT id, tags FROM t ORDER BY id")).toEqual([{ id: 1, tags: ["a"] }]);
    await q.query("DELETE FROM t");
  });

  it("makes a read-only transaction refuse writes", async () => {
    const err = await q.transaction((tx) => tx.query("INSERT INTO t VALUES (3, NULL)"), { readOnly: true }).catch((e: { code?: string }) => e);
    expect((err as { code?: string }).code).toBe("25006");
  });

  it("keeps statements issued during a transaction out of it", async () => {
    let outside: Promise<unknown> | undefined;
    const done = q
      .transaction(async (tx) => {
        await tx.query("INSERT INTO t VALUES (4, NULL)");
        outside = q.query("SELECT count(*) AS n FROM t");
        await tx.query("SELECT pg_sleep(0.05)");
        throw new Error("roll back");
      })
      .catch(() => "rolled back");
    expect(await done).toBe("rolled back");
    expect(await outside).toEqual([{ n: "0" }]);
  });
});

it("openConnection chooses the adapter by kind", async () => {
  const options = { neonWsProxy: inject("neonProxy"), webSocketConstructor: WebSocket as never, connectTimeoutSeconds: 5 };
  for (const kind of ["postgres", "neon"] as const) {
    const q = await openConnection({ kind, url: db.url }, options);
    try {
      expect(await q.query("SELECT current_database() AS d")).toEqual([{ d: db.name }]);
    } finally {
      await q.close();
    }
  }
  // Only the neon kind goes through the proxy: a proxy path it refuses fails neon alone.
  const broken = { ...options, neonWsProxy: inject("neonProxy").replace("/v1", "/nope") };
  const postgres = await openConnection({ kind: "postgres", url: db.url }, broken);
  expect(await postgres.query("SELECT 1 AS one")).toEqual([{ one: 1 }]);
  await postgres.close();
  await expect(openConnection({ kind: "neon", url: db.url }, broken)).rejects.toBeDefined();
});
