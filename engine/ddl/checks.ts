import type postgres from "postgres";
import type { TableInfo, TableRef } from "../catalog/types";
import type { AfterLoadStatement } from "./indexes";
import { qualify, quoteIdent, quoteLiteral } from "./quote";

/**
 * The source table's CHECK constraints as `ALTER TABLE … ADD CONSTRAINT` for the target, added after the
 * load (one validating scan each, cheaper than checking every COPY row). Read with `search_path =
 * pg_catalog` (local to the one implicit transaction of the two statements), so every user function, type or operator the expression names prints schema-qualified and
 * resolves the same on the target; a constraint the source has NOT VALID stays NOT VALID. Hazard: an
 * expression calling a function the target lacks fails with 42883 — the caller decides what that means.
 */
export async function checkConstraintSql(source: postgres.Sql, table: TableInfo, target: TableRef): Promise<AfterLoadStatement[]> {
  const results = (await source.unsafe(
    `SELECT set_config('search_path', 'pg_catalog', true);
     SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
      WHERE conrelid = ${quoteLiteral(qualify(table))}::regclass AND contype = 'c' ORDER BY conname`,
  )) as unknown as [unknown, { conname: string; def: string }[]];
  return results[1].map((r) => ({ sql: `ALTER TABLE ${qualify(target)} ADD CONSTRAINT ${quoteIdent(r.conname)} ${r.def}`, constraint: r.conname }));
}
