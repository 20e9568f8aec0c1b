import type postgres from "postgres";
import type { TableInfo, UserType } from "../catalog/types";
import { qualify, quoteIdent, quoteLiteral } from "./quote";

export type { UserType };

/** `CREATE TYPE … AS ENUM` (labels in sort order) and `CREATE DOMAIN` statements, in the given order. */
export function createTypesSql(types: readonly UserType[]): string[] {
  return types.map((t) => {
    const name = qualify(t);
    if (t.kind === "enum") return `CREATE TYPE ${name} AS ENUM (${t.labels.map(quoteLiteral).join(", ")})`;
    const parts = [`CREATE DOMAIN ${name} AS ${t.baseType}`];
    if (t.defaultExpr !== null) parts.push(`DEFAULT ${t.defaultExpr}`);
    if (t.notNull) parts.push("NOT NULL");
    for (const c of t.checks) parts.push(`CONSTRAINT ${quoteIdent(c.name)} ${c.definition}`);
    return parts.join(" ");
  });
}

interface TypeRow {
  oid: number;
  schema: string;
  name: string;
  typtype: "e" | "d";
  labels: string[] | null;
  base_type: string | null;
  not_null: boolean;
  default_expr: string | null;
  checks: { name: string; definition: string }[] | null;
}

/**
 * The enums and domains the tables' columns use (also as array elements), plus the user types under those
 * domains, dependencies first. Reads the source catalog.
 */
export async function readUserTypes(source: postgres.Sql, tables: readonly TableInfo[]): Promise<UserType[]> {
  const wanted = new Set<string>();
  for (const t of tables) for (const c of t.columns) if (c.typeKind === "e" || c.typeKind === "d") wanted.add(qualify({ schema: c.typeSchema, name: c.typeName }));
  if (wanted.size === 0) return [];
  const rows = await source.unsafe<TypeRow[]>(
    `WITH RECURSIVE needed(oid, depth) AS (
         SELECT t::regtype::oid, 0 FROM unnest($1::text[]) AS t
       UNION
         SELECT bt.oid, n.depth + 1 FROM needed n
           JOIN pg_type d ON d.oid = n.oid AND d.typtype = 'd'
           JOIN pg_type b ON b.oid = d.typbasetype
           JOIN pg_type bt ON bt.oid = CASE WHEN b.typelem <> 0 AND b.typlen = -1 THEN b.typelem ELSE b.oid END
           JOIN pg_namespace bn ON bn.oid = bt.typnamespace
          WHERE bn.nspname <> 'pg_catalog' AND bt.typtype IN ('e', 'd') AND n.depth < 16)
     SELECT t.oid::int AS oid, n.nspname AS schema, t.typname AS name, t.typtype::text AS typtype,
            (SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) AS labels,
            CASE WHEN t.typtype <> 'd' THEN NULL
                 WHEN bn.nspname = 'pg_catalog' THEN format_type(t.typbasetype, t.typtypmod)
                 WHEN b.typelem <> 0 AND b.typlen = -1 THEN quote_ident(en.nspname) || '.' || quote_ident(et.typname) || '[]'
                 ELSE quote_ident(bn.nspname) || '.' || quote_ident(b.typname) END AS base_type,
            t.typnotnull AS not_null, t.typdefault AS default_expr,
            (SELECT json_agg(json_build_object('name', c.conname, 'definition', pg_get_constraintdef(c.oid)) ORDER BY c.conname)
               FROM pg_constraint c WHERE c.contypid = t.oid AND c.contype = 'c') AS checks
       FROM (SELECT oid, max(depth) AS depth FROM needed GROUP BY oid) nd
       JOIN pg_type t ON t.oid = nd.oid
       JOIN pg_namespace n ON n.oid = t.typnamespace
       LEFT JOIN pg_type b ON b.oid = t.typbasetype
       LEFT JOIN pg_namespace bn ON bn.oid = b.typnamespace
       LEFT JOIN pg_type et ON et.oid = b.typelem
       LEFT JOIN pg_namespace en ON en.oid = et.typnamespace
      ORDER BY nd.depth DESC, t.oid`,
    [[...wanted]],
  );
  return rows.map((r): UserType =>
    r.typtype === "e"
      ? { kind: "enum", schema: r.schema, name: r.name, labels: r.labels ?? [] }
      : { kind: "domain", schema: r.schema, name: r.name, baseType: r.base_type!, notNull: r.not_null, defaultExpr: r.default_expr, checks: r.checks ?? [] },
  );
}
