import type { TableRef } from "../catalog/types";
import { qualify, quoteIdent } from "../ddl/quote";

/**
 * SQL text of the multi-row apply statements. Every value travels as text, one `text[]` parameter per
 * column, and is cast on the server to the target column's type (`u.aN::type`): pgoutput already sends
 * PostgreSQL's text form, which the type's input function reads back exactly under the same session
 * settings (plan/session.ts). Pure.
 */

/** A target column as the statements need it: name and cast type (schema-change.ts TargetTable). */
export interface TargetColumn {
  name: string;
  type: string;
}

/** `{"a","b\"c",NULL}`: a text[] literal, every element quoted, so no value is ever mistaken for NULL. */
export function textArrayLiteral(values: readonly (string | null)[]): string {
  return arrayLiteral(values.length, (i) => values[i] ?? null);
}

/** The text[] literal of one column of `rows` (no intermediate array of the column's values). */
export function columnLiteral(rows: readonly (readonly (string | null)[])[], column: number): string {
  return arrayLiteral(rows.length, (i) => rows[i]![column] ?? null);
}

function arrayLiteral(count: number, at: (i: number) => string | null): string {
  let out = "{";
  for (let i = 0; i < count; i++) {
    if (i > 0) out += ",";
    const v = at(i);
    if (v === null) out += "NULL";
    else out += `"${/["\\]/.test(v) ? v.replace(/["\\]/g, "\\$&") : v}"`;
  }
  return `${out}}`;
}

/** `unnest($1::text[], …) AS u(a1, …)` for n columns, parameters numbered from `first`. */
function unnestFrom(n: number, first = 1): string {
  const params = Array.from({ length: n }, (_, i) => `$${first + i}::text[]`);
  const names = Array.from({ length: n }, (_, i) => `a${first + i}`);
  return `unnest(${params.join(", ")}) AS u(${names.join(", ")})`;
}

const cast = (c: TargetColumn, param: number) => `u.a${param}::${c.type}`;

/**
 * Insert rows, overwriting every listed non-key column of a row whose key exists. `noUpdate` columns
 * (GENERATED ALWAYS identity) are inserted but never set by the conflict branch, which PostgreSQL refuses.
 */
export function upsertSql(table: TableRef, columns: readonly TargetColumn[], key: readonly string[], options: { overriding: boolean; noUpdate: ReadonlySet<string> }): string {
  const names = columns.map((c) => quoteIdent(c.name)).join(", ");
  const values = columns.map((c, i) => cast(c, i + 1)).join(", ");
  const keySet = new Set(key);
  const set = columns.filter((c) => !keySet.has(c.name) && !options.noUpdate.has(c.name)).map((c) => `${quoteIdent(c.name)} = EXCLUDED.${quoteIdent(c.name)}`);
  const conflict = key.length === 0 ? "" : ` ON CONFLICT (${key.map(quoteIdent).join(", ")}) ${set.length ? `DO UPDATE SET ${set.join(", ")}` : "DO NOTHING"}`;
  return `INSERT INTO ${qualify(table)} (${names})${options.overriding ? " OVERRIDING SYSTEM VALUE" : ""} SELECT ${values} FROM ${unnestFrom(columns.length)}${conflict}`;
}

/** Delete the rows whose key is in the parameters (one text[] per key column). */
export function deleteSql(table: TableRef, key: readonly TargetColumn[]): string {
  const where = key.map((c, i) => `t.${quoteIdent(c.name)} = ${cast(c, i + 1)}`).join(" AND ");
  return `DELETE FROM ${qualify(table)} AS t USING ${unnestFrom(key.length)} WHERE ${where}`;
}

/** Set `set` columns on the rows found by `key` values: parameters are the key arrays, then the set arrays. */
export function updateSql(table: TableRef, key: readonly TargetColumn[], set: readonly TargetColumn[]): string {
  const assignments = set.map((c, i) => `${quoteIdent(c.name)} = ${cast(c, key.length + i + 1)}`).join(", ");
  const where = key.map((c, i) => `t.${quoteIdent(c.name)} = ${cast(c, i + 1)}`).join(" AND ");
  return `UPDATE ${qualify(table)} AS t SET ${assignments} FROM ${unnestFrom(key.length + set.length)} WHERE ${where}`;
}

/**
 * For a table without primary key (REPLICA IDENTITY FULL on the source): the first row equal to the old
 * row in every column. Parameters: old values (`$1…$n`, `$n::text::type`), then the set values.
 */
export function rowByOldValues(table: TableRef, columns: readonly TargetColumn[]): string {
  const where = columns.map((c, i) => `${quoteIdent(c.name)} IS NOT DISTINCT FROM $${i + 1}::text::${c.type}`).join(" AND ");
  return `ctid = (SELECT ctid FROM ${qualify(table)} WHERE ${where} LIMIT 1)`;
}

export function deleteRowSql(table: TableRef, old: readonly TargetColumn[]): string {
  return `DELETE FROM ${qualify(table)} WHERE ${rowByOldValues(table, old)}`;
}

export function updateRowSql(table: TableRef, old: readonly TargetColumn[], set: readonly TargetColumn[]): string {
  const assignments = set.map((c, i) => `${quoteIdent(c.name)} = $${old.length + i + 1}::text::${c.type}`).join(", ");
  return `UPDATE ${qualify(table)} SET ${assignments} WHERE ${rowByOldValues(table, old)}`;
}
