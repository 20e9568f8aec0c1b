import type postgres from "postgres";
import { isDefaultCollation, type CollationRef, type TableInfo } from "../catalog/types";
import { qualify, quoteLiteral } from "./quote";

/** A collation object of a user schema, as `CREATE COLLATION` needs it. */
export interface UserCollation extends CollationRef {
  /** pg_collation.collprovider: c libc, i icu, b builtin (PostgreSQL 17+). */
  provider: "c" | "i" | "b";
  /** libc: LC_COLLATE and LC_CTYPE; icu and builtin: the locale. */
  collate: string | null;
  ctype: string | null;
  locale: string | null;
  /** ICU tailoring rules (PostgreSQL 16+), or null. */
  rules: string | null;
  deterministic: boolean;
}

const PROVIDERS = { c: "libc", i: "icu", b: "builtin" } as const;

/** `CREATE COLLATION IF NOT EXISTS` for each collation, with its provider, locale(s), rules and determinism. */
export function createCollationsSql(collations: readonly UserCollation[]): string[] {
  return collations.map((c) => {
    const options = [`provider = ${PROVIDERS[c.provider]}`];
    if (c.provider === "c") options.push(`lc_collate = ${quoteLiteral(c.collate ?? "")}`, `lc_ctype = ${quoteLiteral(c.ctype ?? "")}`);
    else options.push(`locale = ${quoteLiteral(c.locale ?? "")}`);
    if (c.rules !== null) options.push(`rules = ${quoteLiteral(c.rules)}`);
    options.push(`deterministic = ${c.deterministic}`);
    return `CREATE COLLATION IF NOT EXISTS ${qualify(c)} (${options.join(", ")})`;
  });
}

/**
 * The collations outside pg_catalog that the tables' columns use (those of pg_catalog — C, POSIX, the ones
 * initdb imports — are the server's own). The locale and rules columns changed names across versions
 * (colliculocale 15–16, colllocale 17+, collicurules 16+): read through to_jsonb, so any version answers.
 */
export async function readUserCollations(source: postgres.Sql, tables: readonly TableInfo[]): Promise<UserCollation[]> {
  const wanted = new Map<string, CollationRef>();
  for (const t of tables) {
    for (const { collation } of t.columns) {
      if (collation && !isDefaultCollation(collation) && collation.schema !== "pg_catalog") wanted.set(qualify(collation), collation);
    }
  }
  if (wanted.size === 0) return [];
  const refs = [...wanted.values()];
  return source.unsafe<UserCollation[]>(
    `SELECT n.nspname AS schema, c.collname AS name, c.collprovider::text AS provider,
            to_jsonb(c) ->> 'collcollate' AS collate, to_jsonb(c) ->> 'collctype' AS ctype,
            coalesce(to_jsonb(c) ->> 'colllocale', to_jsonb(c) ->> 'colliculocale') AS locale,
            to_jsonb(c) ->> 'collicurules' AS rules, c.collisdeterministic AS deterministic
       FROM pg_collation c JOIN pg_namespace n ON n.oid = c.collnamespace
      WHERE (n.nspname::text, c.collname::text) IN (SELECT * FROM unnest($1::text[], $2::text[]))
      ORDER BY 1, 2`,
    [refs.map((r) => r.schema), refs.map((r) => r.name)],
  );
}
