/**
 * Which tables a selection picks, by the engine's own matcher (engine/catalog/select.ts). Kept apart from
 * table-selection.ts because it pulls zod into the page that uses it.
 */
import { selectTables } from "../../../engine/catalog/select";
import type { TableName } from "./table-selection";

/** How many of `tables` the selection picks, by the engine's own matcher; or why a pattern is invalid. */
export function previewSelection(tables: readonly TableName[], selection: { include: string[]; exclude: string[] }): { count: number; error: string | null } {
  if (selection.include.length === 0) return { count: 0, error: null };
  try {
    return { count: selectTables(tables, selection).length, error: null };
  } catch (e) {
    return { count: 0, error: (e as Error).message };
  }
}
