import type postgres from "postgres";
import type { TableInfo, TableRef } from "../catalog/types";
import { qualify, quoteIdent, quoteLiteral } from "../ddl/quote";
import { checkConstraintSql } from "../ddl/checks";
import { primaryKeySql, secondaryIndexSql } from "../ddl/indexes";
import { serverError } from "../errors/classify";

export interface FinishTableInput {
  source: postgres.Sql;
  target: postgres.Sql;
  table: TableInfo;
  targetRef: TableRef;
  /** The target table was created by this run (drop_and_create or missing): add its primary key and indexes. */
  created: boolean;
}

/** 42883 undefined_function, 42704 undefined_object, 3F000 invalid_schema_name: the target lacks what a CHECK names. */
const MISSING_ON_TARGET = new Set(["42883", "42704", "3F000"]);

/** A source constraint the target could not take, and why (reported, not fatal). */
export interface SkippedConstraint {
  constraint: string;
  reason: string;
}

/**
 * After every chunk of a table is copied: primary key, secondary indexes and CHECK constraints (only on a
 * table this run created; an existing target keeps its own), identity sequences moved past the copied
 * values, ANALYZE. Safe to repeat: existing keys, indexes and constraints are skipped, setval is absolute.
 * A CHECK whose expression names a function or type the target lacks is skipped and returned.
 */
export async function finishTable(input: FinishTableInput): Promise<{ skipped: SkippedConstraint[] }> {
  const { source, target, table, targetRef, created } = input;
  const skipped: SkippedConstraint[] = [];
  if (created) {
    const existing = await constraintNames(target, targetRef);
    const pk = primaryKeySql(table, targetRef);
    if (pk && !existing.primaryKey) await buildIndex(target, pk);
    for (const statement of await secondaryIndexSql(source, table, targetRef)) {
      if (statement.constraint === undefined || !existing.names.has(statement.constraint)) await buildIndex(target, statement.sql);
    }
    for (const statement of await checkConstraintSql(source, table, targetRef)) {
      if (existing.names.has(statement.constraint!)) continue;
      try {
        await target.unsafe(statement.sql);
      } catch (err) {
        const server = serverError(err);
        if (!MISSING_ON_TARGET.has(server?.sqlstate ?? "")) throw err;
        skipped.push({ constraint: statement.constraint!, reason: server!.message });
      }
    }
  }
  await resetIdentities(target, table, targetRef);
  await target.unsafe(`ANALYZE ${qualify(targetRef)}`);
  return { skipped };
}

/**
 * Sort memory for one index build, in kB: enough to sort a few million keys in memory (2M int4 keys:
 * 0.56 s at the default 64 MB, 0.42 s at 256 MB). Used only while the index is built.
 */
const INDEX_BUILD_MEMORY_KB = 256 * 1024;

/**
 * Runs an index-building statement with at least INDEX_BUILD_MEMORY_KB of maintenance_work_mem (never
 * less than the server's own setting). The setting and the statement go in one simple-protocol message,
 * one implicit transaction, so the setting is local to it and the pooled session is left as it was.
 */
async function buildIndex(sql: postgres.Sql, statement: string): Promise<void> {
  await sql.unsafe(
    `SELECT set_config('maintenance_work_mem', greatest(setting::int8, ${INDEX_BUILD_MEMORY_KB}) || 'kB', true) FROM pg_settings WHERE name = 'maintenance_work_mem';\n${statement}`,
  );
}

async function constraintNames(sql: postgres.Sql, ref: TableRef): Promise<{ primaryKey: boolean; names: Set<string> }> {
  const rows = await sql.unsafe<{ conname: string; contype: string }[]>(
    `SELECT conname, contype::text AS contype FROM pg_constraint WHERE conrelid = $1::regclass`,
    [qualify(ref)],
  );
  return { primaryKey: rows.some((r) => r.contype === "p"), names: new Set(rows.map((r) => r.conname)) };
}

/**
 * Moves each identity sequence of the target past the values now in the table: to max(col) for an
 * ascending sequence, min(col) for a descending one; an empty table restarts at the sequence's start.
 */
async function resetIdentities(sql: postgres.Sql, table: TableInfo, ref: TableRef): Promise<void> {
  for (const column of table.columns.filter((c) => c.identity !== "")) {
    const [seq] = await sql.unsafe<{ name: string; increment: string; start: string }[]>(
      `SELECT s.seqrelid::regclass::text AS name, s.seqincrement::text AS increment, s.seqstart::text AS start
         FROM pg_sequence s WHERE s.seqrelid = pg_get_serial_sequence($1, $2)::regclass`,
      [qualify(ref), column.name],
    );
    // The column may be a plain one on an existing target (truncate/append modes): nothing to move.
    if (!seq) continue;
    const extreme = BigInt(seq.increment) > 0n ? "max" : "min";
    await sql.unsafe(
      `SELECT CASE WHEN v IS NULL THEN setval(${quoteLiteral(seq.name)}, ${BigInt(seq.start)}, false)
                   ELSE setval(${quoteLiteral(seq.name)}, v, true) END
         FROM (SELECT ${extreme}(${quoteIdent(column.name)})::int8 AS v FROM ${qualify(ref)}) m`,
    );
  }
}
