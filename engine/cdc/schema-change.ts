import type postgres from "postgres";
import type { TableRef } from "../catalog/types";
import type { Queryable } from "../db/queryable";
import { qualify, quoteIdent } from "../ddl/quote";
import { AppError } from "../errors/app-error";
import { movableSequences } from "../ddl/movable-sequences";
import type { Relation } from "./decode";

/**
 * Schema changes carried by Relation messages. pgoutput sends a table's Relation again whenever its
 * columns change, before the first row that uses the new layout; a column the target lacks is added
 * there (nullable, no default) inside the same target transaction as those rows, so a crash cannot
 * leave rows without their column or the column without the checkpoint that explains it.
 * Not propagated: dropped columns (the target keeps them; new rows leave them null), renames (seen as a
 * new column), type changes.
 */

/** The target table as the apply needs it: writable columns with their cast types, and the primary key. */
export interface TargetTable {
  ref: TableRef;
  /**
   * Column → cast type and identity kind; generated columns left out. The cast type is the type's own
   * qualified name (`pg_catalog.bpchar`), never format_type's: without a modifier that says `character`
   * and `bit`, which as cast types mean char(1) and bit(1) and would cut every longer value to one.
   */
  columns: Map<string, { type: string; identity: "" | "a" | "d" }>;
  primaryKey: string[];
  /** Sequences owned by columns (identity or serial) that this user may move, by column: qualified name, and whether it counts down. */
  sequences: Map<string, { name: string; descending: boolean }>;
  /** Generated columns of the target: present, but never written. */
  generated: Set<string>;
}

const TARGET_SQL = `
  SELECT a.attname::text AS name, quote_ident(tn.nspname) || '.' || quote_ident(t.typname) AS type, a.attidentity::text AS identity,
         a.attgenerated <> '' AS generated, array_position(i.indkey::int2[], a.attnum) AS key_pos
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    JOIN pg_type t ON t.oid = a.atttypid
    JOIN pg_namespace tn ON tn.oid = t.typnamespace
    LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
   WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')
   ORDER BY a.attnum`;

/** Reads the target table; AppError `TABLE_MISSING` when it does not exist. */
export async function describeTarget(sql: postgres.Sql, ref: TableRef): Promise<TargetTable> {
  const rows = await sql.unsafe<
    { name: string; type: string; identity: "" | "a" | "d"; generated: boolean; key_pos: number | null }[]
  >(
    TARGET_SQL,
    [ref.schema, ref.name],
  );
  if (rows.length === 0) {
    throw new AppError("TABLE_MISSING", `The target table ${ref.schema}.${ref.name} does not exist.`, { status: 400, details: { table: ref } });
  }
  const columns = new Map(rows.filter((r) => !r.generated).map((r) => [r.name, { type: r.type, identity: r.identity }]));
  const primaryKey = rows.filter((r) => r.key_pos !== null).sort((a, b) => a.key_pos! - b.key_pos!).map((r) => r.name);
  const generated = new Set(rows.filter((r) => r.generated).map((r) => r.name));
  const sequences = new Map((await movableSequences(sql, ref)).map((q) => [q.column, { name: q.name, descending: q.descending }]));
  return { ref, columns, primaryKey, generated, sequences };
}

/** Resolves a source type OID and modifier to DDL text for the target. */
export type TypeResolver = (typeOid: number, typeMod: number) => Promise<string>;

// As create-table.ts columnTypeSql: built-in types as format_type prints them (with modifiers), other
// types schema-qualified and quoted, because format_type omits a schema visible on the source's search_path.
const TYPE_SQL = `
  SELECT CASE WHEN en.nspname = 'pg_catalog' THEN format_type(t.oid, $2::int)
              ELSE quote_ident(en.nspname) || '.' || quote_ident(et.typname)
                   || CASE WHEN t.typelem <> 0 AND t.typlen = -1 THEN '[]' ELSE '' END END AS ddl
    FROM pg_type t
    JOIN pg_type et ON et.oid = CASE WHEN t.typelem <> 0 AND t.typlen = -1 THEN t.typelem ELSE t.oid END
    JOIN pg_namespace en ON en.oid = et.typnamespace
   WHERE t.oid = $1::oid`;

/** A resolver asking the source once per (oid, typmod); the cache lives as long as the resolver. */
export function sourceTypeResolver(source: Queryable): TypeResolver {
  const cache = new Map<string, Promise<string>>();
  return (oid, mod) => {
    const key = `${oid}:${mod}`;
    let found = cache.get(key);
    if (!found) {
      found = source.query<{ ddl: string }>(TYPE_SQL, [oid, mod]).then(([row]) => {
        if (!row) throw new AppError("TYPE_UNSUPPORTED", `The source has no type with OID ${oid}.`, { status: 400 });
        return row.ddl;
      });
      // A failed lookup is not cached: the next change asks again.
      found.catch(() => cache.delete(key));
      cache.set(key, found);
    }
    return found;
  };
}

/** Relation columns the target table lacks. */
export function missingColumns(relation: Relation, target: TargetTable): Relation["columns"] {
  return relation.columns.filter((c) => !target.columns.has(c.name) && !target.generated.has(c.name));
}

/**
 * Adds the relation's columns that the target lacks (`ADD COLUMN IF NOT EXISTS`, in the caller's open
 * transaction) and returns the target as it is afterwards.
 */
export async function addMissingColumns(sql: postgres.Sql, relation: Relation, target: TargetTable, resolve: TypeResolver): Promise<TargetTable> {
  const missing = missingColumns(relation, target);
  if (missing.length === 0) return target;
  const clauses: string[] = [];
  for (const c of missing) clauses.push(`ADD COLUMN IF NOT EXISTS ${quoteIdent(c.name)} ${await resolve(c.typeOid, c.typeMod)}`);
  await sql.unsafe(`ALTER TABLE ${qualify(target.ref)} ${clauses.join(", ")}`);
  return describeTarget(sql, target.ref);
}
