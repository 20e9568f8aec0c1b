import { env } from "cloudflare:test";
import postgres from "postgres";
import { expect, it } from "vitest";

it("reaches PostgreSQL from workerd", async () => {
  const sql = postgres(env.TEST_PG_URL, { max: 1 });
  const rows = await sql`select 1 + 1 as n`;
  expect(rows[0]!.n).toBe(2);
});
