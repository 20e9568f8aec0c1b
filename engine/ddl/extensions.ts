import type postgres from "postgres";
import type { TableInfo } from "../catalog/types";
import { qualify, quoteIdent } from "./quote";

/** An extension the tables' column types come from, and the schema it lives in on the source. */
export interface TypeExtension {
  name: string;
  schema: string;
}

/**
 * The extensions owning the types the tables' columns use (directly, as array elements, or under a
 * domain): citext, hstore, ltree and the like. Types of pg_catalog are the server's own and skipped.
 */
export async function readTypeExtensions(source: postgres.Sql, tables: readonly TableInfo[]): Promise<TypeExtension[]> {
  const wanted = new Set<string>();
  for (const t of tables) for (const c of t.columns) if (c.typeSchema !== "pg_catalog") wanted.add(qualify({ schema: c.typeSchema, name: c.typeName }));
  if (wanted.size === 0) return [];
  return source.unsafe<TypeExtension[]>(
    `WITH RECURSIVE types(oid, depth) AS (
         SELECT to_regtype(t)::oid, 0 FROM unnest($1::text[]) t
       UNION
         SELECT b.typbasetype, types.depth + 1 FROM types JOIN pg_type b ON b.oid = types.oid
          WHERE b.typtype = 'd' AND types.depth < 16)
     SELECT DISTINCT e.extname::text AS name, n.nspname::text AS schema
       FROM types
       JOIN pg_type t ON t.oid = types.oid
       JOIN pg_depend d ON d.classid = 'pg_type'::regclass AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
                       AND d.objid = CASE WHEN t.typelem <> 0 AND t.typlen = -1 THEN t.typelem ELSE t.oid END
       JOIN pg_extension e ON e.oid = d.refobjid
       JOIN pg_namespace n ON n.oid = e.extnamespace
      ORDER BY 1`,
    [[...wanted]],
  );
}

/**
 * `CREATE EXTENSION IF NOT EXISTS` for each, in the schema it has on the source (where the column types
 * name it). One the target's server does not have fails the prepare with the server's error (0A000/58P01).
 */
export function createExtensionsSql(extensions: readonly TypeExtension[]): string[] {
  return extensions.map((e) => `CREATE EXTENSION IF NOT EXISTS ${quoteIdent(e.name)} WITH SCHEMA ${quoteIdent(e.schema)}`);
}
