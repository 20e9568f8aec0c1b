import type { TableRef } from "../catalog/types";

/**
 * The one way DTaaS writes identifiers and literals into SQL text. Every identifier is always quoted, so
 * mixed case, spaces, quotes and reserved words survive unchanged; nothing is ever case-folded.
 */
export function quoteIdent(name: string): string {
  if (name.includes("\u0000")) throw new Error("identifier contains a NUL byte");
  return `"${name.replaceAll('"', '""')}"`;
}

/** `"schema"."name"`. */
export function qualify(ref: TableRef): string {
  return `${quoteIdent(ref.schema)}.${quoteIdent(ref.name)}`;
}

/**
 * A string literal that means the same under any `standard_conforming_strings` setting (as PostgreSQL's
 * own quote_literal): `E'…'` with doubled backslashes when the text has one, else a plain `'…'`.
 * Used only where the protocol allows no parameters (the query inside `COPY (…) TO STDOUT`).
 */
export function quoteLiteral(text: string): string {
  if (text.includes("\u0000")) throw new Error("literal contains a NUL byte");
  const quoted = text.replaceAll("'", "''");
  return text.includes("\\") ? `E'${quoted.replaceAll("\\", "\\\\")}'` : `'${quoted}'`;
}

/** The SQL name of a column's type without its modifier, for casts of parameters: `"pg_catalog"."numeric"[]`. */
export function castTypeOf(column: { typeSchema: string; typeName: string; isArray: boolean }): string {
  return qualify({ schema: column.typeSchema, name: column.typeName }) + (column.isArray ? "[]" : "");
}
