import type postgres from "postgres";
import { tableDigest, type TableDigest } from "../../engine/test-support/table-digest";

/**
 * The benchmark's oracle: a copy counts only if the target table equals the source (count + md5 of the
 * sorted row text, engine/test-support/table-digest.ts) and carries a primary key, as every tool here is
 * expected to deliver one. A failed check is reported loudly, never averaged away.
 */

export interface TargetCheck {
  equal: boolean;
  hasPrimaryKey: boolean;
  target: TableDigest;
}

export function digestOf(sql: postgres.Sql, table: string): Promise<TableDigest> {
  return tableDigest(sql, { schema: "public", name: table });
}

export async function checkTarget(target: postgres.Sql, table: string, source: TableDigest): Promise<TargetCheck> {
  const digest = await digestOf(target, table).catch(() => ({ count: -1, md5: null }));
  const [k] = await target.unsafe<{ n: number }[]>(
    `SELECT count(*)::int AS n FROM pg_index WHERE indisprimary AND indrelid = to_regclass('public.${table}')`,
  );
  return { equal: digest.count === source.count && digest.md5 === source.md5, hasPrimaryKey: k!.n === 1, target: digest };
}
