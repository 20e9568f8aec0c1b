import { isDefaultCollation, type ColumnInfo, type TableInfo, type TableRef } from "../catalog/types";
import { castTypeOf, qualify, quoteIdent } from "./quote";

/**
 * The column type as target DDL: built-in types as `format_type` prints them (with modifiers, e.g.
 * `numeric(12,2)[]`), every other type (enum, domain, extension or user type) by its schema-qualified,
 * quoted name, because `format_type` leaves out the schema whenever the type is visible on the source's
 * search_path, which says nothing about the target's.
 */
export function columnTypeSql(column: ColumnInfo): string {
  return column.typeSchema === "pg_catalog" ? column.dataType : castTypeOf(column);
}

/**
 * One column definition. Kept: type, collation, NOT NULL, identity, and defaults other than sequence defaults
 * (`nextval(…)` names a source sequence that does not exist on the target; the copied values carry the
 * keys). A stored generated column becomes a plain column: COPY writes its value from the source, which
 * a generated column refuses, and the value is already exactly what the source computed.
 */
export function columnSql(column: ColumnInfo): string {
  const parts = [quoteIdent(column.name), columnTypeSql(column)];
  // A collation of its own is kept (a missing one fails the CREATE with 42704); a column on the database
  // default takes the target's default, as pg_dump leaves it.
  if (column.collation && !isDefaultCollation(column.collation)) parts.push(`COLLATE ${qualify(column.collation)}`);
  if (column.identity !== "") parts.push(`GENERATED ${column.identity === "a" ? "ALWAYS" : "BY DEFAULT"} AS IDENTITY${identityOptions(column)}`);
  else if (column.generated === "" && column.defaultExpr !== null && !/\bnextval\s*\(/i.test(column.defaultExpr)) {
    parts.push(`DEFAULT ${column.defaultExpr}`);
  }
  if (!column.nullable || column.identity !== "") parts.push("NOT NULL");
  return parts.join(" ");
}

/**
 * The source sequence's options, so that the target's counts the same way (a descending or stepped
 * sequence, a bounded or cycling one); finishTable then moves it past the copied values.
 */
function identityOptions(column: ColumnInfo): string {
  const s = column.identitySequence;
  if (!s) return "";
  const int = (v: string) => {
    if (!/^-?\d+$/.test(v)) throw new Error(`identity sequence option ${v} of ${column.name} is not an integer`);
    return v;
  };
  return ` (START WITH ${int(s.start)} INCREMENT BY ${int(s.increment)} MINVALUE ${int(s.min)} MAXVALUE ${int(s.max)} CACHE ${int(s.cache)} ${s.cycle ? "CYCLE" : "NO CYCLE"})`;
}

/**
 * `CREATE TABLE` for the target, columns in source order, without primary key or indexes: those are built
 * after the load (finishTable), which is faster than loading into a keyed table.
 */
export function createTableSql(table: TableInfo, target: TableRef): string {
  const columns = [...table.columns].sort((a, b) => a.position - b.position).map((c) => `  ${columnSql(c)}`);
  return `CREATE TABLE ${qualify(target)} (\n${columns.join(",\n")}\n)`;
}

/** Schemas of the non-built-in types the table's columns use: the search_path for its defaults. */
export function userTypeSchemas(table: TableInfo): string[] {
  return [...new Set(table.columns.filter((c) => c.typeSchema !== "pg_catalog").map((c) => c.typeSchema))];
}
