import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { afterAll, describe, expect, inject, it } from "vitest";
import { demoRowCounts, ensureDemoData, withDatabase } from "./demo-data";

const adminUrl = inject("pgUrl");
const suffix = randomBytes(4).toString("hex");
const sourceDb = `demo_source_${suffix}`;
const targetDb = `demo_target_${suffix}`;
const smallDb = `demo_small_${suffix}`;

afterAll(async () => {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP DATABASE IF EXISTS ${sourceDb} WITH (FORCE)`);
  await admin.unsafe(`DROP DATABASE IF EXISTS ${targetDb} WITH (FORCE)`);
  await admin.unsafe(`DROP DATABASE IF EXISTS ${smallDb} WITH (FORCE)`);
  await admin.end();
});

async function countRows(db: string, tables: string[]): Promise<Record<string, number>> {
  const sql = postgres(withDatabase(adminUrl, db), { max: 1 });
  try {
    const counts: Record<string, number> = {};
    for (const table of tables) {
      const [row] = await sql.unsafe<{ n: string }[]>(`SELECT count(*) AS n FROM ${table}`);
      counts[table] = Number(row?.n);
    }
    return counts;
  } finally {
    await sql.end();
  }
}

describe("demo data", () => {
  it("sizes the tables from the order count", () => {
    expect(demoRowCounts(1_000_000)).toEqual({
      "public.customers": 10_000,
      "public.orders": 1_000_000,
      "public.order_items": 200_000,
      'inventory."Products"': 1_000,
      "public.events_log": 50_000,
      "public.refunds": 0,
    });
    // Orders 1 and 2 have 2 and 3 lines.
    expect(demoRowCounts(20)["public.order_items"]).toBe(5);
  });

  it("generates the exact rows once and leaves an empty target", { timeout: 120_000 }, async () => {
    const first = await ensureDemoData({ adminUrl, sourceDb, targetDb });
    expect(first.created).toBe(true);
    const tables = Object.keys(first.counts);
    expect(await countRows(sourceDb, tables)).toEqual(first.counts);
    expect(first.counts["public.orders"]).toBe(1_000_000);

    const second = await ensureDemoData({ adminUrl, sourceDb, targetDb });
    expect(second.created).toBe(false);
    expect(await countRows(sourceDb, tables)).toEqual(first.counts);

    const target = postgres(withDatabase(adminUrl, targetDb), { max: 1 });
    const [row] = await target<{ n: string }[]>`
      SELECT count(*) AS n FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`;
    await target.end();
    expect(Number(row?.n)).toBe(0);
  });

  it("matches the computed counts at a small size", async () => {
    const result = await ensureDemoData({ adminUrl, sourceDb: smallDb, targetDb: smallDb, orders: 20 });
    expect(await countRows(smallDb, Object.keys(result.counts))).toEqual(result.counts);
  });
});
