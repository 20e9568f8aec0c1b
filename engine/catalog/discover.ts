import type { Queryable } from "../db/queryable";
import { leavesWithoutIdentitySql } from "../cdc/replica-identity";
import { AppError } from "../errors/app-error";
import type { ColumnInfo, Partitioning, TableInfo, TableRef } from "./types";

/**
 * Catalog discovery with a fixed number of queries whatever the number of tables (a database may hold
 * thousands): one for the tables, one for all their columns.
 */

/** Schemas that are never user data: the system's and our own bookkeeping schema. */
const HIDDEN_SCHEMAS = ["pg_catalog", "information_schema", "pg_toast", "_dtaas"];

// $1 schemas (text[] or NULL), $2/$3 parallel schema and table names of wanted refs (or NULL: all tables,
// without partitions, whose rows are read through their partitioned parent).
const TABLES_SQL = `
  WITH t AS (
    SELECT c.oid, n.nspname, c.relname, c.relkind, c.reltuples
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p')
       AND n.nspname <> ALL ($4::text[])
       AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'
       AND has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT')
       AND ($1::text[] IS NULL OR n.nspname = ANY ($1::text[]))
       AND CASE WHEN $2::text[] IS NULL THEN NOT c.relispartition
                ELSE (n.nspname::text, c.relname::text) IN (SELECT * FROM unnest($2::text[], $3::text[])) END)
  SELECT t.oid, t.nspname::text AS schema, t.relname::text AS name,
         COALESCE((SELECT array_agg(a.attname::text ORDER BY k.ord)
                     FROM pg_index i
                     CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                    WHERE i.indrelid = t.oid AND i.indisprimary), '{}'::text[]) AS "primaryKey",
         CASE WHEN t.relkind = 'p' THEN
                (SELECT CASE WHEN count(*) FILTER (WHERE l.reltuples >= 0) = 0 THEN -1
                             ELSE sum(greatest(l.reltuples::float8, 0)) END
                   FROM pg_partition_tree(t.oid) p JOIN pg_class l ON l.oid = p.relid WHERE p.isleaf)
              ELSE t.reltuples::float8 END AS "estimatedRows",
         CASE WHEN t.relkind = 'p' THEN
                (SELECT COALESCE(sum(pg_total_relation_size(p.relid)), 0) FROM pg_partition_tree(t.oid) p)
              ELSE pg_total_relation_size(t.oid) END::float8 AS "sizeBytes",
         CASE WHEN t.relkind = 'p' THEN pg_get_partkeydef(t.oid) END AS "partitionKey",
         NOT EXISTS (${leavesWithoutIdentitySql("t.oid", "t.relkind")}) AS "replicaIdentity",
         (SELECT array_agg(a.attname::text ORDER BY k.ord)
            FROM unnest(u.indkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
           WHERE k.ord <= u.indnkeyatts) AS "uniqueKey"
    FROM t
    -- A table without primary key: its smallest unique index over NOT NULL columns that a range condition
    -- on those columns can use (plain btree, default operator classes, the columns' own collations).
    LEFT JOIN LATERAL (
      SELECT i.indkey, i.indnkeyatts
        FROM pg_index i
        JOIN pg_class ic ON ic.oid = i.indexrelid
        JOIN pg_am am ON am.oid = ic.relam
       WHERE i.indrelid = t.oid AND t.relkind = 'r' AND i.indisunique AND i.indisvalid
         AND i.indpred IS NULL AND i.indexprs IS NULL AND am.amname = 'btree'
         AND NOT EXISTS (SELECT 1 FROM pg_index p WHERE p.indrelid = t.oid AND p.indisprimary)
         AND NOT EXISTS (
           SELECT 1
             FROM unnest(i.indkey, i.indclass, i.indcollation) WITH ORDINALITY AS x(attnum, opclass, coll, ord)
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.attnum
             JOIN pg_opclass o ON o.oid = x.opclass
            WHERE x.ord <= i.indnkeyatts AND (NOT a.attnotnull OR NOT o.opcdefault OR x.coll <> a.attcollation))
       ORDER BY i.indnkeyatts, ic.relname
       LIMIT 1) u ON true
   ORDER BY t.nspname, t.relname`;

// For arrays, typeSchema/typeName/typeKind describe the element type (ColumnInfo).
const COLUMNS_SQL = `
  SELECT a.attrelid AS oid, a.attname::text AS name, a.attnum::int AS position,
         format_type(a.atttypid, a.atttypmod) AS "dataType",
         en.nspname::text AS "typeSchema", et.typname::text AS "typeName", et.typtype::text AS "typeKind",
         (t.typelem <> 0 AND t.typlen = -1) AS "isArray",
         NOT a.attnotnull AS nullable,
         pg_get_expr(d.adbin, d.adrelid) AS "defaultExpr",
         a.attgenerated::text AS generated, a.attidentity::text AS identity,
         -- OIDs below 16384 are the server's own objects: an expression naming only those means the same
         -- on any target (user and extension functions, types, operators may be missing there).
         a.attgenerated <> '' AND NOT EXISTS (
           SELECT 1 FROM pg_depend x
            WHERE x.classid = 'pg_attrdef'::regclass AND x.objid = d.oid AND x.refobjid >= 16384
              AND x.refclassid IN ('pg_proc'::regclass, 'pg_type'::regclass, 'pg_operator'::regclass, 'pg_collation'::regclass,
                                   'pg_ts_config'::regclass, 'pg_ts_dict'::regclass)) AS "builtInExpression",
         cn.nspname::text AS "collationSchema", co.collname::text AS "collationName",
         seq.schema AS "sequenceSchema", seq.name AS "sequenceName", seq.type AS "sequenceType",
         seq.start AS "sequenceStart", seq.increment AS "sequenceIncrement", seq.min AS "sequenceMin",
         seq.max AS "sequenceMax", seq.cache AS "sequenceCache", seq.cycle AS "sequenceCycle"
    FROM pg_attribute a
    JOIN pg_type t ON t.oid = a.atttypid
    JOIN pg_type et ON et.oid = CASE WHEN t.typelem <> 0 AND t.typlen = -1 THEN t.typelem ELSE t.oid END
    JOIN pg_namespace en ON en.oid = et.typnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    LEFT JOIN pg_collation co ON co.oid = a.attcollation
    LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
    LEFT JOIN LATERAL (
      SELECT sn.nspname::text AS schema, sc.relname::text AS name, format_type(s.seqtypid, NULL) AS type,
             s.seqstart::text AS start, s.seqincrement::text AS increment, s.seqmin::text AS min,
             s.seqmax::text AS max, s.seqcache::text AS cache, s.seqcycle AS cycle
        FROM pg_depend dep
        JOIN pg_sequence s ON s.seqrelid = dep.objid
        JOIN pg_class sc ON sc.oid = s.seqrelid JOIN pg_namespace sn ON sn.oid = sc.relnamespace
       WHERE dep.classid = 'pg_class'::regclass AND dep.refclassid = 'pg_class'::regclass
         AND dep.refobjid = a.attrelid AND dep.refobjsubid = a.attnum
         -- An identity's own sequence, or a serial column's: owned by the column and used by its default.
         AND (dep.deptype = 'i' AND a.attidentity <> ''
              OR dep.deptype = 'a' AND a.attidentity = '' AND EXISTS (
                   SELECT 1 FROM pg_depend u WHERE u.classid = 'pg_attrdef'::regclass AND u.objid = d.oid
                      AND u.refclassid = 'pg_class'::regclass AND u.refobjid = s.seqrelid))
       LIMIT 1) seq ON true
   WHERE a.attrelid = ANY ($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
   ORDER BY a.attrelid, a.attnum`;

interface TableRow extends Omit<TableInfo, "columns" | "partitioning" | "uniqueKey"> {
  oid: number;
  partitionKey: string | null;
  uniqueKey: string[] | null;
}

// Every partition below the given partitioned tables ($1 oids), with its parent, bound and own key.
const PARTITIONS_SQL = `
  WITH RECURSIVE tree(oid, parent) AS (
      SELECT i.inhrelid, i.inhparent FROM pg_inherits i WHERE i.inhparent = ANY ($1::oid[])
    UNION ALL
      SELECT i.inhrelid, i.inhparent FROM pg_inherits i JOIN tree ON i.inhparent = tree.oid)
  SELECT tree.parent, c.oid, n.nspname::text AS schema, c.relname::text AS name,
         pg_get_expr(c.relpartbound, c.oid) AS bound,
         CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS key
    FROM tree JOIN pg_class c ON c.oid = tree.oid JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relispartition
   ORDER BY n.nspname, c.relname`;

interface PartitionRow {
  parent: number;
  oid: number;
  schema: string;
  name: string;
  bound: string;
  key: string | null;
}

/** The partition trees of the partitioned tables among `tables` (one query for all), by root oid. */
async function readPartitionings(db: Queryable, tables: readonly TableRow[]): Promise<Map<number, Partitioning>> {
  const roots = tables.filter((t) => t.partitionKey !== null);
  if (roots.length === 0) return new Map();
  const rows = await db.query<PartitionRow>(PARTITIONS_SQL, [roots.map((t) => t.oid)]);
  const children = new Map<number, PartitionRow[]>();
  for (const r of rows) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  const tree = (oid: number, key: string): Partitioning => ({
    key,
    partitions: (children.get(oid) ?? []).map((c) => ({
      schema: c.schema,
      name: c.name,
      bound: c.bound,
      ...(c.key !== null ? { partitioning: tree(c.oid, c.key) } : {}),
    })),
  });
  return new Map(roots.map((t) => [t.oid, tree(t.oid, t.partitionKey!)]));
}

interface ColumnRow extends Omit<ColumnInfo, "generated" | "collation" | "sequence" | "recompute"> {
  oid: number;
  generated: string;
  builtInExpression: boolean;
  collationSchema: string | null;
  collationName: string | null;
  sequenceSchema: string | null;
  sequenceName: string | null;
  sequenceType: string | null;
  sequenceStart: string | null;
  sequenceIncrement: string | null;
  sequenceMin: string | null;
  sequenceMax: string | null;
  sequenceCache: string | null;
  sequenceCycle: boolean | null;
}

interface Filter {
  schemas?: readonly string[];
  refs?: readonly TableRef[];
}

async function readTables(db: Queryable, filter: Filter): Promise<TableInfo[]> {
  const refs = filter.refs;
  const tables = await db.query<TableRow>(TABLES_SQL, [
    filter.schemas ?? null,
    refs ? refs.map((r) => r.schema) : null,
    refs ? refs.map((r) => r.name) : null,
    HIDDEN_SCHEMAS,
  ]);
  if (tables.length === 0) return [];
  const columns = await db.query<ColumnRow>(COLUMNS_SQL, [tables.map((t) => t.oid)]);
  const byTable = new Map<number, ColumnInfo[]>();
  for (const row of columns) {
    const { oid, generated, builtInExpression, collationSchema, collationName, sequenceSchema, sequenceName, sequenceType, sequenceStart, sequenceIncrement, sequenceMin, sequenceMax, sequenceCache, sequenceCycle, ...column } = row;
    const list = byTable.get(oid) ?? [];
    // PostgreSQL 18's virtual generated columns ('v') are read like stored ones: a computed value.
    const info: ColumnInfo = { ...column, generated: generated === "" ? "" : "s" };
    if (builtInExpression) info.recompute = true;
    if (collationName !== null) info.collation = { schema: collationSchema!, name: collationName };
    if (sequenceName !== null) {
      info.sequence = {
        schema: sequenceSchema!, name: sequenceName, type: sequenceType!,
        start: sequenceStart!, increment: sequenceIncrement!, min: sequenceMin!, max: sequenceMax!, cache: sequenceCache!, cycle: sequenceCycle!,
      };
    }
    list.push(info);
    byTable.set(oid, list);
  }
  const partitionings = await readPartitionings(db, tables);
  return tables.map(({ oid, partitionKey, uniqueKey, ...t }) => {
    const partitioning = partitionings.get(oid);
    return { ...t, columns: byTable.get(oid) ?? [], ...(partitioning ? { partitioning } : {}), ...(uniqueKey ? { uniqueKey } : {}) };
  });
}

/**
 * Every ordinary and partitioned table the user may read (partitions appear only through their parent),
 * outside the system schemas and `_dtaas`, ordered by schema and name.
 */
export async function listTables(db: Queryable, options: { schemas?: readonly string[] } = {}): Promise<TableInfo[]> {
  return readTables(db, { schemas: options.schemas });
}

/**
 * The given tables (partitions too, when named), in the order given. Throws AppError `TABLE_MISSING`
 * naming every table that does not exist or cannot be read.
 */
export async function describeTables(db: Queryable, refs: readonly TableRef[]): Promise<TableInfo[]> {
  if (refs.length === 0) return [];
  const found = await readTables(db, { refs });
  const key = (r: TableRef) => JSON.stringify([r.schema, r.name]);
  const byKey = new Map(found.map((t) => [key(t), t]));
  const missing = refs.filter((r) => !byKey.has(key(r)));
  if (missing.length > 0) {
    const names = missing.map((r) => `${r.schema}.${r.name}`);
    throw new AppError("TABLE_MISSING", `Tables not found or not readable: ${names.join(", ")}.`, {
      status: 400,
      details: { tables: missing.map((r) => ({ schema: r.schema, name: r.name })) },
    });
  }
  return refs.map((r) => byKey.get(key(r))!);
}
