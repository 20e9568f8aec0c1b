import type postgres from "postgres";
import type { TableRef } from "../catalog/types";
import { qualify, quoteIdent, quoteLiteral } from "./quote";

/** A table's comment and its columns' comments, as the source has them. */
export interface TableComments {
  table: string | null;
  columns: { name: string; comment: string }[];
}

/** The comments of the given source tables (one query for all), keyed by qualify(table). */
export async function readComments(source: postgres.Sql, tables: readonly TableRef[]): Promise<Map<string, TableComments>> {
  if (tables.length === 0) return new Map();
  const rows = await source.unsafe<{ schema: string; name: string; comment: string | null; columns: { name: string; comment: string }[] | null }[]>(
    `SELECT n.nspname::text AS schema, c.relname::text AS name, obj_description(c.oid, 'pg_class') AS comment,
            (SELECT json_agg(json_build_object('name', a.attname, 'comment', d.description) ORDER BY a.attnum)
               FROM pg_attribute a JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = a.attnum
              WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = ANY (ARRAY(SELECT to_regclass(t) FROM unnest($1::text[]) t))`,
    [tables.map(qualify)],
  );
  return new Map(rows.map((r) => [qualify({ schema: r.schema, name: r.name }), { table: r.comment, columns: r.columns ?? [] }]));
}

/** `COMMENT ON` the target table and its columns, for the comments the source has. */
export function commentsSql(comments: TableComments | undefined, target: TableRef): string[] {
  if (!comments) return [];
  const out = comments.table !== null ? [`COMMENT ON TABLE ${qualify(target)} IS ${quoteLiteral(comments.table)}`] : [];
  for (const c of comments.columns) out.push(`COMMENT ON COLUMN ${qualify(target)}.${quoteIdent(c.name)} IS ${quoteLiteral(c.comment)}`);
  return out;
}
