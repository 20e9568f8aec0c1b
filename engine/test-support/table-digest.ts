import type postgres from "postgres";
import type { TableRef } from "../catalog/types";

export interface TableDigest {
  count: number;
  md5: string | null;
}

/**
 * The test oracle: count and md5 over every row's text form, sorted, computed independently of the engine
 * (its own session settings, its own SQL). Two tables are equal when their digests are.
 */
export async function tableDigest(sql: postgres.Sql, ref: TableRef, columns?: string[]): Promise<TableDigest> {
  const name = `"${ref.schema.replaceAll('"', '""')}"."${ref.name.replaceAll('"', '""')}"`;
  const row = columns ? `ROW(${columns.map((c) => `t."${c.replaceAll('"', '""')}"`).join(", ")})::text` : "t::text";
  return sql.begin(async (tx) => {
    await tx.unsafe(`SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO'; SET LOCAL extra_float_digits = 3; SET LOCAL IntervalStyle = 'postgres'`);
    const [r] = await tx.unsafe<{ count: string; md5: string | null }[]>(
      `SELECT count(*)::text AS count, md5(string_agg(${row}, E'\\n' ORDER BY ${row})) AS md5 FROM ${name} t`,
    );
    return { count: Number(r!.count), md5: r!.md5 };
  });
}
