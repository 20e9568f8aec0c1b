import type { ColumnInfo, TableInfo } from "../catalog/types";

export type CopyFormat = "binary" | "text";

/**
 * Built-in types whose binary form is not portable between databases: reg* types send OIDs (the text form
 * is the name), aclitem and gtsvector have no binary I/O at all.
 */
const NOT_PORTABLE = new Set([
  "regclass", "regtype", "regproc", "regprocedure", "regoper", "regoperator", "regconfig",
  "regdictionary", "regnamespace", "regrole", "regcollation", "aclitem", "gtsvector",
]);

/**
 * Whether one column's binary COPY form means the same value in another database:
 * - built-in (pg_catalog) base, range and multirange types, except NOT_PORTABLE: yes; their binary forms
 *   carry no OIDs of user objects (arrays of them carry built-in element OIDs, equal everywhere);
 * - an enum (not an array of it): yes, enum_send writes the label;
 * - anything else: no. Arrays of user types embed the element type's OID, which differs between databases
 *   (array_recv rejects it); composites embed field type OIDs; domains and types from extensions or user
 *   schemas may sit on any of these, and the catalog does not tell us their base type here.
 */
export function binaryPortable(column: ColumnInfo): boolean {
  if (column.typeSchema === "pg_catalog") {
    return (column.typeKind === "b" || column.typeKind === "r" || column.typeKind === "m") && !NOT_PORTABLE.has(column.typeName);
  }
  return column.typeKind === "e" && !column.isArray;
}

/**
 * The format of a table's chunk copies, decided once per table: binary when every column is
 * binaryPortable (exact and about twice as cheap to produce and parse), else text. Text COPY is exact for
 * every type given the fixed session settings of plan/session.ts (extra_float_digits 3, ISO dates, UTC).
 */
export function copyFormatFor(table: TableInfo): CopyFormat {
  return table.columns.every(binaryPortable) ? "binary" : "text";
}
