import { isDefaultCollation, type ColumnInfo, type OwnedSequence, type Partitioning, type TableInfo, type TableRef } from "../catalog/types";
import { retargetName } from "./indexes";
import { castTypeOf, qualify, quoteIdent, quoteLiteral } from "./quote";

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
 * One column definition. Kept: type, collation, NOT NULL, identity (with its sequence's options), a serial
 * column's default on its own sequence (`serialSequence`, see serialSequencesSql), and other defaults
 * except those on a sequence the column does not own (`nextval(…)` of a shared source sequence, which the
 * target lacks; the copied values carry the keys). A stored generated column becomes a plain column: COPY
 * writes its value from the source, which a generated column refuses, and the value is already exactly
 * what the source computed — unless its expression names only built-in objects (`recompute`): then the
 * target column is generated from the same expression, and the copy leaves it out (copy-chunk.ts).
 */
export function columnSql(column: ColumnInfo, serialSequence?: TableRef): string {
  const parts = [quoteIdent(column.name), columnTypeSql(column)];
  // A collation of its own is kept (a missing one fails the CREATE with 42704); a column on the database
  // default takes the target's default, as pg_dump leaves it.
  if (column.collation && !isDefaultCollation(column.collation)) parts.push(`COLLATE ${qualify(column.collation)}`);
  if (column.identity !== "") {
    const options = column.sequence ? ` (${sequenceOptions(column.sequence)})` : "";
    parts.push(`GENERATED ${column.identity === "a" ? "ALWAYS" : "BY DEFAULT"} AS IDENTITY${options}`);
  } else if (column.generated !== "" && column.recompute && column.defaultExpr !== null) {
    parts.push(`GENERATED ALWAYS AS (${column.defaultExpr}) STORED`);
  } else if (serialSequence) {
    parts.push(`DEFAULT nextval(${quoteLiteral(qualify(serialSequence))}::regclass)`);
  } else if (column.generated === "" && column.defaultExpr !== null && !/\bnextval\s*\(/i.test(column.defaultExpr)) {
    parts.push(`DEFAULT ${column.defaultExpr}`);
  }
  if (!column.nullable || column.identity !== "") parts.push("NOT NULL");
  return parts.join(" ");
}

/**
 * The source sequence's options, so that the target's counts the same way (a descending or stepped
 * sequence, a bounded or cycling one); finishTable then moves it past the copied values.
 */
function sequenceOptions(s: OwnedSequence): string {
  const int = (v: string) => {
    if (!/^-?\d+$/.test(v)) throw new Error(`sequence option ${v} of ${s.schema}.${s.name} is not an integer`);
    return v;
  };
  return `START WITH ${int(s.start)} INCREMENT BY ${int(s.increment)} MINVALUE ${int(s.min)} MAXVALUE ${int(s.max)} CACHE ${int(s.cache)} ${s.cycle ? "CYCLE" : "NO CYCLE"}`;
}

/** Serial columns: those owning a sequence their default draws from (identity columns own theirs too, but declare it). */
function serialColumns(table: TableInfo): ColumnInfo[] {
  return table.columns.filter((c) => c.identity === "" && c.sequence);
}

/** The target's name for a serial column's sequence: in the target table's schema, renamed with the table. */
function serialSequenceRef(column: ColumnInfo, table: TableInfo, target: TableRef): TableRef {
  return { schema: target.schema, name: retargetName(column.sequence!.name, table.name, target.name) };
}

/**
 * The serial columns' sequences as the target needs them around `CREATE TABLE`: `before` creates each (its
 * type and options as on the source; an existing one of that name is used), `after` makes it owned by its
 * column, so dropping the table drops it. finishTable moves it past the copied values, as identities.
 */
export function serialSequencesSql(table: TableInfo, target: TableRef): { before: string[]; after: string[] } {
  const columns = serialColumns(table);
  return {
    before: columns.map((c) => {
      if (!SEQUENCE_TYPES.has(c.sequence!.type)) throw new Error(`sequence ${c.sequence!.schema}.${c.sequence!.name} has type ${c.sequence!.type}`);
      return `CREATE SEQUENCE IF NOT EXISTS ${qualify(serialSequenceRef(c, table, target))} AS ${c.sequence!.type} ${sequenceOptions(c.sequence!)}`;
    }),
    after: columns.map((c) => `ALTER SEQUENCE ${qualify(serialSequenceRef(c, table, target))} OWNED BY ${qualify(target)}.${quoteIdent(c.name)}`),
  };
}

const SEQUENCE_TYPES = new Set(["smallint", "integer", "bigint"]);

/**
 * `CREATE TABLE` for the target, columns in source order, without primary key or indexes: those are built
 * after the load (finishTable), which is faster than loading into a keyed table.
 */
export function createTableSql(table: TableInfo, target: TableRef): string {
  const columns = [...table.columns]
    .sort((a, b) => a.position - b.position)
    .map((c) => `  ${columnSql(c, c.identity === "" && c.sequence ? serialSequenceRef(c, table, target) : undefined)}`);
  const partitioned = table.partitioning ? ` PARTITION BY ${table.partitioning.key}` : "";
  return `CREATE TABLE ${qualify(target)} (\n${columns.join(",\n")}\n)${partitioned}`;
}

/**
 * A partitioned table's partitions, parents before children: each `CREATE TABLE … PARTITION OF` its
 * parent with the source's bound (and key, when partitioned again), in the target table's schema and
 * renamed with it (`events_2024` of `events` becomes `events_copy_2024` of `events_copy`). Rows copied
 * into the parent are routed to them; indexes and keys built on the parent reach them.
 */
export function partitionsSql(table: TableInfo, target: TableRef): string[] {
  const out: string[] = [];
  const walk = (partitioning: Partitioning, parent: TableRef) => {
    for (const p of partitioning.partitions) {
      const ref = { schema: target.schema, name: retargetName(p.name, table.name, target.name) };
      out.push(`CREATE TABLE ${qualify(ref)} PARTITION OF ${qualify(parent)} ${p.bound}${p.partitioning ? ` PARTITION BY ${p.partitioning.key}` : ""}`);
      if (p.partitioning) walk(p.partitioning, ref);
    }
  };
  if (table.partitioning) walk(table.partitioning, target);
  return out;
}

/** Schemas of the non-built-in types the table's columns use: the search_path for its defaults. */
export function userTypeSchemas(table: TableInfo): string[] {
  return [...new Set(table.columns.filter((c) => c.typeSchema !== "pg_catalog").map((c) => c.typeSchema))];
}
