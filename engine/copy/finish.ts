import type postgres from "postgres";
import type { TableInfo, TableRef } from "../catalog/types";
import { qualify, quoteIdent, quoteLiteral } from "../ddl/quote";
import { primaryKeySql, secondaryIndexSql } from "../ddl/indexes";

export interface FinishTableInput {
  source: postgres.Sql;
  target: postgres.Sql;
  table: TableInfo;
  targetRef: TableRef;
  /** The target table was created by this run (drop_and_create or missing): add its primary key and indexes. */
  created: boolean;
}

/**
 * After every chunk of a table is copied: primary key and secondary indexes (only on a table this run
 * created; an existing target keeps its own), identity sequences moved past the copied values, ANALYZE.
 * Safe to repeat: existing keys, indexes and constraints are skipped, setval is absolute.
 */
export async function finishTable(input: FinishTableInput): Promise<void> {
  const { source, target, table, targetRef, created } = input;
  if (created) {
    const existing = await constraintNames(target, targetRef);
    const pk = primaryKeySql(table, targetRef);
    if (pk && !existing.primaryKey) await target.unsafe(pk);
    for (const statement of await secondaryIndexSql(source, table, targetRef)) {
      if (statement.constraint === undefined || !existing.names.has(statement.constraint)) await target.unsafe(statement.sql);
    }
  }
  await resetIdentities(target, table, targetRef);
  await target.unsafe(`ANALYZE ${qualify(targetRef)}`);
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
