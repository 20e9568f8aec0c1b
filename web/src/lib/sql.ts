/**
 * SQL text the browser generates. Identifiers are always double-quoted with embedded quotes doubled, so
 * a table named `a"b; DROP …` stays one identifier; PostgreSQL identifiers cannot hold NUL, so it is refused.
 */

export interface BrowsableTable {
  schema: string;
  name: string;
  primaryKey: string[];
}

export function quoteIdent(name: string): string {
  if (name.includes("\u0000")) throw new Error("an identifier cannot contain NUL");
  return `"${name.replaceAll('"', '""')}"`;
}

export function qualifiedName(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/**
 * One page of a table's rows in a stable order: by primary key, else by ctid (physical order, stable while
 * nobody writes). Asks for one row more than the page so the caller learns whether a next page exists.
 */
export function browseQuery(table: BrowsableTable, page: number, pageSize: number): string {
  if (!Number.isInteger(page) || page < 0) throw new Error("page must be a non-negative integer");
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new Error("pageSize must be a positive integer");
  const order = table.primaryKey.length > 0 ? table.primaryKey.map(quoteIdent).join(", ") : "ctid";
  return `SELECT * FROM ${qualifiedName(table.schema, table.name)} ORDER BY ${order} LIMIT ${pageSize + 1} OFFSET ${page * pageSize}`;
}
