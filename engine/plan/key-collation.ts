import type postgres from "postgres";
import { isDefaultCollation, type CollationRef, type TableInfo, type TableRef } from "../catalog/types";
import { qualify } from "../ddl/quote";
import { keyColumns } from "./chunk";

export interface KeyCollationTable {
  table: TableInfo;
  targetRef: TableRef;
  /** Created by this run, from `table` (its columns carry their collations, see columnSql). */
  created: boolean;
}

/**
 * Tables whose key ranges could hold different rows on the two sides, each with the reason, by qualify(table).
 * A chunk is a key range `[lo, hi)` evaluated on the source (its COPY) and on the target (clearing the range
 * before a retry, bucketing rows for the checksum). Text-like key columns compare by their collation: if the
 * source column sorts by one and the target column by another (e.g. en-US on the source, C on the target,
 * where 'B' < 'a'), a range holds different rows on each side — a retry would delete rows of a neighbouring
 * chunk that it does not copy again. Such a table must be copied as one chunk (no range at all).
 * Equal means: both on their database's default collation and the two defaults the same (provider, locales),
 * or both on the same named collation. Anything else counts as different, though it may sort alike.
 * No query is made when no key column has a collation (integer, uuid, timestamp keys …).
 */
export async function keyCollationHazards(source: postgres.Sql, target: postgres.Sql, tables: readonly KeyCollationTable[]): Promise<Map<string, string>> {
  const hazards = new Map<string, string>();
  const keyed = tables.filter((t) => keyColumns(t.table).some((c) => c.collation));
  if (keyed.length === 0) return hazards;
  const [sourceDefault, targetDefault] = await Promise.all([defaultCollation(source), defaultCollation(target)]);
  for (const t of keyed) {
    const onTarget = t.created ? null : await targetCollations(target, t.targetRef);
    for (const column of keyColumns(t.table).filter((c) => c.collation)) {
      const from = column.collation!;
      // A created table's column has the source's collation when named, else the target's default.
      const to = onTarget ? onTarget.get(column.name) : from;
      if (to && sameCollation(from, to, sourceDefault, targetDefault)) continue;
      hazards.set(
        qualify(t.table),
        `key column ${column.name} sorts by ${describe(from, sourceDefault)} on the source and by ${describe(to, targetDefault)} on the target, so a key range would not hold the same rows on both: copied as one chunk`,
      );
      break;
    }
  }
  return hazards;
}

function describe(c: CollationRef | undefined, databaseDefault: string): string {
  return !c ? "none" : isDefaultCollation(c) ? `the database default (${databaseDefault})` : `${c.schema}.${c.name}`;
}

function sameCollation(from: CollationRef, to: CollationRef, sourceDefault: string, targetDefault: string): boolean {
  if (isDefaultCollation(from) || isDefaultCollation(to)) return isDefaultCollation(from) && isDefaultCollation(to) && sourceDefault === targetDefault;
  return from.schema === to.schema && from.name === to.name;
}

/**
 * The database's default collation as `provider/collate/ctype/locale`. The provider and ICU or builtin
 * locale columns (PostgreSQL 15+: datlocprovider, daticulocale, renamed datlocale in 17) are read through
 * to_jsonb, so the statement runs on every version.
 */
async function defaultCollation(sql: postgres.Sql): Promise<string> {
  const [row] = await sql.unsafe<{ v: string }[]>(
    `SELECT concat_ws('/', coalesce(to_jsonb(d) ->> 'datlocprovider', 'c'), d.datcollate, d.datctype,
                      coalesce(to_jsonb(d) ->> 'datlocale', to_jsonb(d) ->> 'daticulocale', '')) AS v
       FROM pg_database d WHERE d.datname = current_database()`,
  );
  return row!.v;
}

/** Collations of an existing target table's collatable columns, by column name. */
async function targetCollations(sql: postgres.Sql, ref: TableRef): Promise<Map<string, CollationRef>> {
  const rows = await sql.unsafe<{ column: string; schema: string; name: string }[]>(
    `SELECT a.attname::text AS "column", n.nspname::text AS schema, c.collname::text AS name
       FROM pg_attribute a JOIN pg_collation c ON c.oid = a.attcollation JOIN pg_namespace n ON n.oid = c.collnamespace
      WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`,
    [qualify(ref)],
  );
  return new Map(rows.map((r) => [r.column, { schema: r.schema, name: r.name }]));
}
