import type postgres from "postgres";
import type { TableInfo, TableRef } from "../catalog/types";
import { AppError } from "../errors/app-error";
import { qualify, quoteIdent } from "./quote";

/** `ALTER TABLE … ADD PRIMARY KEY (…)` for the target, or null when the source has no primary key. */
export function primaryKeySql(table: TableInfo, target: TableRef): string | null {
  if (table.primaryKey.length === 0) return null;
  return `ALTER TABLE ${qualify(target)} ADD PRIMARY KEY (${table.primaryKey.map(quoteIdent).join(", ")})`;
}

/**
 * The primary key in two steps: `index` builds it as a unique index, taking only a SHARE lock (reads go on
 * meanwhile); `constraint` then makes it the key, a brief ACCESS EXCLUSIVE step. Named as ADD PRIMARY KEY
 * would name it (`<table>_pkey`, numbered past names taken by other relations); an index of that name on
 * this table, left by an interrupted earlier attempt, is taken over. A partitioned target, where a key
 * cannot adopt an index, gets ADD PRIMARY KEY as its one step. Null when the source has no primary key.
 */
export async function primaryKeySteps(sql: postgres.Sql, table: TableInfo, target: TableRef): Promise<{ index: string; constraint: string | null } | null> {
  const plain = primaryKeySql(table, target);
  if (!plain) return null;
  const base = truncateName(target.name, "_pkey");
  const candidates = [base, ...Array.from({ length: 9 }, (_, i) => truncateName(target.name, `_pkey${i + 1}`))];
  const rows = await sql.unsafe<{ relname: string; ours: boolean; partitioned: boolean }[]>(
    `SELECT c.relname, coalesce(i.indrelid = $1::regclass, false) AS ours, t.relkind = 'p' AS partitioned
       FROM pg_class t LEFT JOIN pg_class c ON c.relnamespace = t.relnamespace AND c.relname = ANY($2::text[])
       LEFT JOIN pg_index i ON i.indexrelid = c.oid
      WHERE t.oid = $1::regclass`,
    [qualify(target), candidates],
  );
  if (rows[0]?.partitioned) return { index: plain, constraint: null };
  const taken = new Map(rows.filter((r) => r.relname !== null).map((r) => [r.relname, r.ours]));
  const name = candidates.find((c) => !taken.has(c) || taken.get(c));
  if (!name) return { index: plain, constraint: null };
  const columns = table.primaryKey.map(quoteIdent).join(", ");
  return {
    index: `CREATE UNIQUE INDEX IF NOT EXISTS ${quoteIdent(name)} ON ${qualify(target)} (${columns})`,
    constraint: `ALTER TABLE ${qualify(target)} ADD CONSTRAINT ${quoteIdent(name)} PRIMARY KEY USING INDEX ${quoteIdent(name)}`,
  };
}

/** `<name><suffix>` within PostgreSQL's 63-byte identifier limit, the name part shortened as PostgreSQL does. */
function truncateName(name: string, suffix: string): string {
  let head = name;
  while (Buffer.byteLength(head + suffix, "utf8") > MAX_NAME_BYTES) head = head.slice(0, -1);
  return head + suffix;
}

/** A statement to run after the load; `constraint` names a constraint to skip when it already exists. */
export interface AfterLoadStatement {
  sql: string;
  constraint?: string;
  /** An ALTER TABLE step (ACCESS EXCLUSIVE): runs only after the target checksum has read the table. */
  exclusive?: boolean;
}

const MAX_NAME_BYTES = 63;

/** The target's name for a source index or constraint: the source table name part swapped for the target's. */
export function retargetName(name: string, sourceTable: string, targetTable: string): string {
  const renamed = sourceTable === targetTable ? name : name.startsWith(sourceTable) ? targetTable + name.slice(sourceTable.length) : `${targetTable}_${name}`;
  let out = renamed;
  while (Buffer.byteLength(out, "utf8") > MAX_NAME_BYTES) out = out.slice(0, -1);
  return out;
}

interface IndexRow {
  def: string;
  prefix: string;
  name: string;
  unique: boolean;
  contype: string | null;
  conname: string | null;
  condef: string | null;
}

/**
 * The secondary indexes and unique/exclusion constraints of the source table, rewritten for the target.
 * `pg_get_indexdef` prints `CREATE [UNIQUE] INDEX <name> ON <schema>.<table> USING …`; the head up to
 * `USING` is rebuilt for the target (the prefix is recomputed in SQL with the same quoting, and a
 * definition that does not start with it is refused rather than rewritten by pattern), the tail — method,
 * columns, expressions, opclasses, INCLUDE, WHERE — is kept verbatim.
 */
export async function secondaryIndexSql(source: postgres.Sql, table: TableInfo, target: TableRef): Promise<AfterLoadStatement[]> {
  const rows = await source.unsafe<IndexRow[]>(
    `SELECT pg_get_indexdef(i.indexrelid) AS def,
            format('CREATE %sINDEX %s ON %s%s.%s USING ', CASE WHEN i.indisunique THEN 'UNIQUE ' ELSE '' END,
                   quote_ident(ic.relname), CASE WHEN c.relkind = 'p' THEN 'ONLY ' ELSE '' END,
                   quote_ident(n.nspname), quote_ident(c.relname)) AS prefix,
            ic.relname AS name, i.indisunique AS unique, con.contype::text AS contype, con.conname,
            pg_get_constraintdef(con.oid) AS condef
       FROM pg_index i
       JOIN pg_class ic ON ic.oid = i.indexrelid
       JOIN pg_class c ON c.oid = i.indrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('u', 'x')
      WHERE i.indrelid = $1::regclass AND NOT i.indisprimary
      ORDER BY ic.relname`,
    [qualify(table)],
  );
  const statements: AfterLoadStatement[] = [];
  for (const row of rows) {
    const name = retargetName(row.conname ?? row.name, table.name, target.name);
    // A partitioned table's unique and exclusion constraints cannot adopt an index: added whole.
    if (row.contype === "x" || (row.contype === "u" && table.partitioning)) {
      statements.push({ sql: `ALTER TABLE ${qualify(target)} ADD CONSTRAINT ${quoteIdent(name)} ${row.condef}`, constraint: name, exclusive: true });
      continue;
    }
    if (!row.def.startsWith(row.prefix)) {
      throw new AppError("INDEX_UNSUPPORTED", `cannot retarget index ${row.name} of ${table.schema}.${table.name}`, { details: { definition: row.def } });
    }
    // Without ONLY on the target: the index is built on every partition too.
    const tail = row.def.slice(row.prefix.length);
    statements.push({ sql: `CREATE ${row.unique ? "UNIQUE " : ""}INDEX IF NOT EXISTS ${quoteIdent(name)} ON ${qualify(target)} USING ${tail}` });
    if (row.contype === "u") {
      statements.push({ sql: `ALTER TABLE ${qualify(target)} ADD CONSTRAINT ${quoteIdent(name)} UNIQUE USING INDEX ${quoteIdent(name)}`, constraint: name, exclusive: true });
    }
  }
  return statements;
}
