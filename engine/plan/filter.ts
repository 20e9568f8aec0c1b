import type { ColumnInfo, TableInfo } from "../catalog/types";
import { AppError } from "../errors/app-error";
import type { RowFilter } from "../task-config";
import { castTypeOf, quoteIdent } from "../ddl/quote";
import type { Binder } from "./sql-binder";

type FilterValue = string | number | boolean;

function columnOf(table: TableInfo, name: string): ColumnInfo {
  const column = table.columns.find((c) => c.name === name);
  if (!column) {
    throw new AppError("FILTER_COLUMN_UNKNOWN", `row filter names column "${name}", which ${table.schema}.${table.name} does not have`, {
      status: 400,
      details: { column: name },
    });
  }
  return column;
}

function one(filter: RowFilter): FilterValue {
  if (filter.value === undefined || Array.isArray(filter.value)) {
    throw new AppError("FILTER_INVALID", `row filter op ${filter.op} takes one value`, { status: 400 });
  }
  return filter.value;
}

function list(filter: RowFilter): FilterValue[] {
  if (!Array.isArray(filter.value)) throw new AppError("FILTER_INVALID", `row filter op ${filter.op} takes a list`, { status: 400 });
  return filter.value;
}

/**
 * One condition per filter, values bound through `bind` as text cast to the column's type (so `'42'` and
 * `42` mean the same, and a value can never become SQL). `like` compares the column's text form. Empty
 * `in` lists select nothing, empty `not_in` lists everything. Filters are ANDed.
 */
export function filterCondition(table: TableInfo, filters: readonly RowFilter[] | undefined, bind: Binder): string {
  if (!filters || filters.length === 0) return "";
  return filters
    .map((f) => {
      const column = columnOf(table, f.column);
      const name = quoteIdent(column.name);
      const typed = (v: FilterValue) => bind.value(String(v), castTypeOf(column));
      switch (f.op) {
        case "=":
        case "!=":
        case "<":
        case "<=":
        case ">":
        case ">=":
          return `${name} ${f.op === "!=" ? "<>" : f.op} ${typed(one(f))}`;
        case "like":
          return `${name}::text LIKE ${bind.value(String(one(f)), "text")}`;
        case "in":
        case "not_in": {
          const values = list(f);
          if (values.length === 0) return f.op === "in" ? "FALSE" : "TRUE";
          return `${name} ${f.op === "in" ? "IN" : "NOT IN"} (${values.map(typed).join(", ")})`;
        }
        case "is_null":
          return `${name} IS NULL`;
        case "is_not_null":
          return `${name} IS NOT NULL`;
      }
    })
    .map((c) => `(${c})`)
    .join(" AND ");
}
