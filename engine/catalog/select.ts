import { z } from "zod";
import { AppError } from "../errors/app-error";
import type { TableRef } from "./types";

/**
 * Table selection by `schema.table` globs. A part is either unquoted, where `*` matches any run of
 * characters and `?` exactly one, or double-quoted (`"my.schema"."Order*"`), matched literally with `""`
 * for a quote, for names holding dots or wildcard characters. Matching is exact and case-sensitive, as
 * PostgreSQL stores identifiers: `public.Users` does not match `users`.
 */

export interface ParsedPattern {
  schema: RegExp;
  table: RegExp;
}

type Parsed = { ok: true; pattern: ParsedPattern } | { ok: false; error: string };

/** Parses one pattern, or says in words why it is not one. */
export function parsePattern(text: string): Parsed {
  const fail = (why: string): Parsed => ({ ok: false, error: `"${text}" is not a schema.table pattern: ${why}` });
  if (text.trim() === "") return fail("it is empty");
  if (/[\u0000-\u001f\u007f]/.test(text)) return fail("it contains control characters");
  const parts: string[] = [];
  let i = 0;
  for (;;) {
    if (text[i] === '"') {
      let literal = "";
      for (i++; ; i++) {
        if (i >= text.length) return fail("a double quote is not closed");
        if (text[i] === '"') {
          if (text[i + 1] !== '"') break;
          i++;
        }
        literal += text[i];
      }
      i++;
      if (literal === "") return fail('a quoted name is empty ("")');
      parts.push(escapeRegExp(literal));
    } else {
      const start = i;
      while (i < text.length && text[i] !== "." && text[i] !== '"') i++;
      const glob = text.slice(start, i);
      if (text[i] === '"') return fail("a double quote may only enclose a whole part");
      if (glob === "") return fail(parts.length === 0 ? "the schema part is empty" : "the table part is empty");
      if (glob !== glob.trim()) return fail("a part starts or ends with a space (quote the name if it really does)");
      parts.push(globToRegExp(glob));
    }
    if (i >= text.length) break;
    if (text[i] !== ".") return fail("a quoted name must be followed by a dot or the end");
    i++;
    if (i >= text.length) return fail("the table part is empty");
  }
  if (parts.length === 1) return fail(`it has no table part; use "${text}.*" for every table of a schema`);
  if (parts.length > 2) return fail('it has more than one dot; quote names that contain dots, e.g. "my.schema".*');
  const [schema, table] = parts as [string, string];
  return { ok: true, pattern: { schema: new RegExp(`^${schema}$`, "su"), table: new RegExp(`^${table}$`, "su") } };
}

/** A validated `schema.table` glob, e.g. `public.*`, `sales.order_*`, `*.*`. */
export const TablePattern = z
  .string()
  .max(300, "a table pattern has at most 300 characters")
  .superRefine((text, ctx) => {
    const parsed = parsePattern(text);
    if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.error });
  });

export const TablePatterns = z.object({
  include: z.array(TablePattern).min(1, "include at least one pattern, e.g. public.*").max(500),
  exclude: z.array(TablePattern).max(500).default([]),
});

export interface SelectionPatterns {
  include: readonly string[];
  exclude?: readonly string[];
}

/** Whether `ref` matches one parsed pattern. */
export function matchesPattern(ref: TableRef, pattern: ParsedPattern): boolean {
  return pattern.schema.test(ref.schema) && pattern.table.test(ref.name);
}

/**
 * The tables matching any `include` and no `exclude` pattern, in their given order. Throws AppError
 * `INVALID_TABLE_PATTERN` (400) on a pattern TablePattern would refuse.
 */
export function selectTables<T extends TableRef>(tables: readonly T[], selection: SelectionPatterns): T[] {
  const compile = (list: readonly string[]) =>
    list.map((text) => {
      const parsed = parsePattern(text);
      if (!parsed.ok) throw new AppError("INVALID_TABLE_PATTERN", parsed.error, { status: 400 });
      return parsed.pattern;
    });
  const include = compile(selection.include);
  const exclude = compile(selection.exclude ?? []);
  return tables.filter((t) => include.some((p) => matchesPattern(t, p)) && !exclude.some((p) => matchesPattern(t, p)));
}

function globToRegExp(glob: string): string {
  return [...glob].map((c) => (c === "*" ? ".*" : c === "?" ? "." : escapeRegExp(c))).join("");
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
