import type postgres from "postgres";
import { describeTables } from "../catalog/discover";
import type { TableInfo, TableRef } from "../catalog/types";
import { borrowPostgres } from "../db/postgres-js";
import { qualify } from "../ddl/quote";

/** TableInfo as catalog discovery reads it, after an ANALYZE (by default) so planning sees real estimates. */
export async function readTableInfo(sql: postgres.Sql, ref: TableRef, options: { analyze?: boolean } = {}): Promise<TableInfo> {
  if (options.analyze ?? true) await sql.unsafe(`ANALYZE ${qualify(ref)}`);
  const [table] = await describeTables(borrowPostgres(sql), [ref]);
  return table!;
}
