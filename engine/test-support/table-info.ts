import type postgres from "postgres";
import type { ColumnInfo, TableInfo, TableRef } from "../catalog/types";

/**
 * TableInfo from a small catalog query, for engine tests until catalog/discover.ts lands.
 * Counts rows exactly (ANALYZE first) so planning sees real estimates.
 */
export async function readTableInfo(sql: postgres.Sql, ref: TableRef, options: { analyze?: boolean } = {}): Promise<TableInfo> {
  const name = `"${ref.schema.replaceAll('"', '""')}"."${ref.name.replaceAll('"', '""')}"`;
  if (options.analyze ?? true) await sql.unsafe(`ANALYZE ${name}`);
  const columns = await sql.unsafe<(Omit<ColumnInfo, "typeKind"> & { typeKind: ColumnInfo["typeKind"] })[]>(
    `SELECT a.attname AS name, a.attnum::int AS position, format_type(a.atttypid, a.atttypmod) AS "dataType",
            n.nspname AS "typeSchema", et.typname AS "typeName", et.typtype::text AS "typeKind",
            (t.typelem <> 0 AND t.typlen = -1) AS "isArray", NOT a.attnotnull AS nullable,
            pg_get_expr(d.adbin, d.adrelid) AS "defaultExpr", a.attgenerated::text AS generated, a.attidentity::text AS identity
       FROM pg_attribute a
       JOIN pg_type t ON t.oid = a.atttypid
       JOIN pg_type et ON et.oid = CASE WHEN t.typelem <> 0 AND t.typlen = -1 THEN t.typelem ELSE t.oid END
       JOIN pg_namespace n ON n.oid = et.typnamespace
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [name],
  );
  const [meta] = await sql.unsafe<{ pk: string[] | null; est: number; size: string }[]>(
    `SELECT (SELECT array_agg(a.attname ORDER BY k.n) FROM pg_index i, unnest(i.indkey) WITH ORDINALITY k(attnum, n), pg_attribute a
              WHERE i.indrelid = c.oid AND i.indisprimary AND a.attrelid = c.oid AND a.attnum = k.attnum) AS pk,
            c.reltuples::float8 AS est, pg_total_relation_size(c.oid)::text AS size
       FROM pg_class c WHERE c.oid = $1::regclass`,
    [name],
  );
  return {
    schema: ref.schema,
    name: ref.name,
    columns: columns.map((c) => ({ ...c })),
    primaryKey: meta?.pk ?? [],
    estimatedRows: meta?.est ?? -1,
    sizeBytes: Number(meta?.size ?? 0),
  };
}
