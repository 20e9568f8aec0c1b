import type { ColumnInfo, TableInfo } from "../catalog/types";
import type { TaskMode } from "../task-config";
import { AppError } from "../errors/app-error";
import { castTypeOf, quoteIdent } from "../ddl/quote";
import type { Binder } from "./sql-binder";

/**
 * One primary-key range `[lo, hi)` of a table: the unit of copying, retrying and checksumming.
 * `lo`/`hi` hold the key values in key order as PostgreSQL text (`value::text`); null means unbounded.
 * Persisted by the coordinator as JSON: do not rename fields.
 */
export interface Chunk {
  index: number;
  lo: string[] | null;
  hi: string[] | null;
  /** The table has no chunk key (chunkKey): the whole table is one chunk, replaced in one target transaction. */
  wholeTable: boolean;
}

/** The columns chunks are ranges of: the primary key, else a unique key (TableInfo.uniqueKey); none: one chunk. */
export function chunkKey(table: TableInfo): string[] {
  return table.primaryKey.length > 0 ? table.primaryKey : (table.uniqueKey ?? []);
}

/**
 * The table as a run of `mode` plans it: a unique key stands in for a primary key only in a plain full
 * load. Change capture converges by primary key, and a keyless table's replay relies on the snapshot of
 * its one copy (engine/cdc/copy-snapshot.ts).
 */
export function forMode(table: TableInfo, mode: TaskMode): TableInfo {
  if (mode === "full_load" || table.uniqueKey === undefined) return table;
  const { uniqueKey: _, ...rest } = table;
  return rest;
}

export function keyColumns(table: TableInfo): ColumnInfo[] {
  return chunkKey(table).map((name) => {
    const column = table.columns.find((c) => c.name === name);
    if (!column) throw new AppError("CATALOG_INCONSISTENT", `key column ${name} of ${table.schema}.${table.name} is not a column`);
    return column;
  });
}

/**
 * The condition selecting a chunk's rows. Composite keys use row comparison, `(a, b) >= ($1, $2)`, which
 * orders lexicographically exactly as the primary-key btree does, so consecutive chunks sharing a boundary
 * neither overlap nor leave a gap. Returns "" (no condition) for a whole-table or single unbounded chunk.
 */
export function rangeCondition(table: TableInfo, chunk: Chunk, bind: Binder): string {
  if (chunk.wholeTable) return "";
  const keys = keyColumns(table);
  const side = (values: string[], op: ">=" | "<"): string => {
    if (values.length !== keys.length) throw new AppError("CHUNK_INVALID", `chunk bound has ${values.length} values for a ${keys.length}-column key`);
    const bound = keys.map((k, i) => bind.value(values[i]!, castTypeOf(k)));
    const names = keys.map((k) => quoteIdent(k.name));
    return keys.length === 1 ? `${names[0]} ${op} ${bound[0]}` : `(${names.join(", ")}) ${op} (${bound.join(", ")})`;
  };
  const parts: string[] = [];
  if (chunk.lo) parts.push(side(chunk.lo, ">="));
  if (chunk.hi) parts.push(side(chunk.hi, "<"));
  return parts.join(" AND ");
}
