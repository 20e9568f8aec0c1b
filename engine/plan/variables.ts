import type { TableRef } from "../catalog/types";
import { AppError } from "../errors/app-error";
import type { RowFilter } from "../task-config";

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Replaces every `${name}`; an unknown name is a client error, never an empty string. */
export function substituteVariables(template: string, variables: Readonly<Record<string, string>>): string {
  return template.replace(REFERENCE, (_, name: string) => {
    const value = Object.hasOwn(variables, name) ? variables[name] : undefined;
    if (value === undefined) {
      throw new AppError("VARIABLE_UNDEFINED", `variable \${${name}} is not defined`, { status: 400, details: { variable: name } });
    }
    return value;
  });
}

/** Filters with `${var}` in their string values replaced. */
export function resolveFilters(filters: readonly RowFilter[], variables: Readonly<Record<string, string>>): RowFilter[] {
  const sub = (v: string | number | boolean) => (typeof v === "string" ? substituteVariables(v, variables) : v);
  return filters.map((f) => ({ ...f, value: Array.isArray(f.value) ? f.value.map(sub) : f.value === undefined ? undefined : sub(f.value) }));
}

const MAX_IDENTIFIER_BYTES = 63;

function identifier(text: string, what: string): string {
  const bytes = new TextEncoder().encode(text).length;
  // PostgreSQL silently truncates longer names, which could map two tables onto one: refuse instead.
  if (bytes === 0 || bytes > MAX_IDENTIFIER_BYTES) {
    throw new AppError("TARGET_NAME_INVALID", `target ${what} "${text}" must be 1 to ${MAX_IDENTIFIER_BYTES} bytes`, { status: 400 });
  }
  return text;
}

/**
 * The target table of a source table from the task's name templates. Built-in variables: `${schema}` and
 * `${table}` (the source names); they take precedence over user variables of the same name.
 */
export function targetRefFor(
  source: TableRef,
  templates: { targetSchema?: string; targetTable?: string },
  variables: Readonly<Record<string, string>> = {},
): TableRef {
  const all = { ...variables, schema: source.schema, table: source.name };
  return {
    schema: identifier(substituteVariables(templates.targetSchema ?? "${schema}", all), "schema"),
    name: identifier(substituteVariables(templates.targetTable ?? "${table}", all), "table"),
  };
}
