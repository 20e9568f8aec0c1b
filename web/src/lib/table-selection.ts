/**
 * Turning tables picked in the UI into the task's `tables` selection. A picked table becomes an exact
 * `schema.table` pattern: a part holding glob characters, dots, quotes or edge spaces is double-quoted
 * (the engine's pattern syntax, engine/catalog/select.ts), so picking `order*` never selects `orders`.
 */

export interface TableName {
  schema: string;
  name: string;
}

const PLAIN = /^[^.*?"\s\u0000-\u001f\u007f](?:[^.*?"\u0000-\u001f\u007f]*[^.*?"\s\u0000-\u001f\u007f])?$/;

/** One part of an exact pattern: the name itself when no character in it means something, else quoted. */
export function patternPart(name: string): string {
  return PLAIN.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

export function exactPattern(table: TableName): string {
  return `${patternPart(table.schema)}.${patternPart(table.name)}`;
}

/** A stable key for a table (NUL cannot occur in PostgreSQL names), and back. */
export const tableKey = (t: TableName) => `${t.schema}\u0000${t.name}`;

export function fromKey(key: string): TableName {
  const i = key.indexOf("\u0000");
  return { schema: key.slice(0, i), name: key.slice(i + 1) };
}

/** Free-text globs: one per line or comma-separated, trimmed, blanks dropped, duplicates removed. */
export function parseGlobList(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/[\n,]/)) {
    const glob = raw.trim();
    if (glob && !out.includes(glob)) out.push(glob);
  }
  return out;
}

/** The task's selection: exact patterns of the picked tables first, then the extra include globs. */
export function buildSelection(picked: readonly TableName[], includeText: string, excludeText: string): { include: string[]; exclude: string[] } {
  const include: string[] = [];
  for (const p of [...picked.map(exactPattern), ...parseGlobList(includeText)]) if (!include.includes(p)) include.push(p);
  return { include, exclude: parseGlobList(excludeText) };
}

/** Tables grouped by schema, schemas and tables sorted by name. */
export function groupBySchema<T extends TableName>(tables: readonly T[]): { schema: string; tables: T[] }[] {
  const bySchema = new Map<string, T[]>();
  for (const t of tables) {
    const list = bySchema.get(t.schema) ?? [];
    list.push(t);
    bySchema.set(t.schema, list);
  }
  return [...bySchema.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([schema, list]) => ({ schema, tables: list.sort((a, b) => a.name.localeCompare(b.name)) }));
}
