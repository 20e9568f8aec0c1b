import type { TableInfo } from "../catalog/types";
import type { RowFilter } from "../task-config";
import { rangeCondition, type Chunk } from "./chunk";
import { filterCondition } from "./filter";
import { andAll, type Binder } from "./sql-binder";

/**
 * The rows a chunk owns: its key range AND the row filters. The same condition selects what is copied
 * from the source, deleted on the target before copying, and checksummed on both sides.
 */
export function chunkCondition(table: TableInfo, chunk: Chunk, filter: readonly RowFilter[] | undefined, bind: Binder): string {
  return andAll([rangeCondition(table, chunk, bind), filterCondition(table, filter, bind)]);
}
