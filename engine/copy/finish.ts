import type postgres from "postgres";
import type { TableInfo, TableRef } from "../catalog/types";
import { qualify, quoteIdent, quoteLiteral } from "../ddl/quote";
import { checkConstraintSql } from "../ddl/checks";
import { movableSequences } from "../ddl/movable-sequences";
import { primaryKeySteps, secondaryIndexSql } from "../ddl/indexes";
import { checksumAllChunks, type IndexedChecksum } from "../checksum/checksum-chunk";
import type { Chunk } from "../plan/chunk";
import type { RowFilter } from "../task-config";
import { serverError } from "../errors/classify";

export interface FinishTableInput {
  source: postgres.Sql;
  target: postgres.Sql;
  table: TableInfo;
  targetRef: TableRef;
  /** The target table was created by this run (drop_and_create or missing): add its primary key and indexes. */
  created: boolean;
  /** Validation: checksum the target per chunk of the table's whole plan (checksumAllChunks). */
  checksum?: { chunks: readonly Chunk[]; filter?: readonly RowFilter[] } | null;
}

export interface FinishTableResult {
  skipped: SkippedConstraint[];
  /** With `checksum`: the target's checksum of every chunk. */
  checksums: IndexedChecksum[] | null;
}

/** 42883 undefined_function, 42704 undefined_object, 3F000 invalid_schema_name: the target lacks what a CHECK names. */
const MISSING_ON_TARGET = new Set(["42883", "42704", "3F000"]);

/** A source constraint the target could not take, and why (reported, not fatal). */
export interface SkippedConstraint {
  constraint: string;
  reason: string;
}

/**
 * After every chunk of a table is copied: the target checksum, primary key, secondary indexes and CHECK
 * constraints (only on a table this run created; an existing target keeps its own), identity and serial sequences
 * moved past the copied values, ANALYZE. Safe to repeat: existing keys, indexes and constraints are
 * skipped, setval is absolute. A CHECK whose expression names a function or type the target lacks is
 * skipped and returned.
 *
 * Two connections work at once: the checksum's scan (ACCESS SHARE) runs beside what does not conflict with
 * it — CREATE INDEX (SHARE), so the primary key is built as a unique index first, and ANALYZE (SHARE UPDATE
 * EXCLUSIVE). The ALTER TABLE steps (ACCESS EXCLUSIVE: the key's constraint on its index, unique and
 * exclusion constraints, CHECKs) come after the checksum. 1M wide rows: checksum 0.8 s beside index 0.4 s
 * + ANALYZE 0.3 s instead of all three in a row.
 */
export async function finishTable(input: FinishTableInput): Promise<FinishTableResult> {
  const { source, target, table, targetRef, created } = input;
  const checksums = input.checksum
    ? checksumAllChunks(target, table, input.checksum.chunks, input.checksum.filter, targetRef)
    : Promise.resolve(null);
  // Observed below; a failure of the index work first must not leave it unhandled.
  checksums.catch(() => {});
  const existing = created ? await constraintNames(target, targetRef) : null;
  const pk = existing && !existing.primaryKey ? await primaryKeySteps(target, table, targetRef) : null;
  const secondary = created ? await secondaryIndexSql(source, table, targetRef) : [];
  const pending = secondary.filter((s) => s.constraint === undefined || !existing!.names.has(s.constraint));
  if (pk) await buildIndex(target, pk.index);
  for (const statement of pending.filter((s) => !s.exclusive)) await buildIndex(target, statement.sql);
  await target.unsafe(`ANALYZE ${qualify(targetRef)}`);
  const result = await checksums;
  if (pk?.constraint) await target.unsafe(pk.constraint);
  for (const statement of pending.filter((s) => s.exclusive)) await buildIndex(target, statement.sql);
  const skipped: SkippedConstraint[] = [];
  if (created) {
    for (const statement of await checkConstraintSql(source, table, targetRef)) {
      if (existing!.names.has(statement.constraint!)) continue;
      try {
        await target.unsafe(statement.sql);
      } catch (err) {
        const server = serverError(err);
        if (!MISSING_ON_TARGET.has(server?.sqlstate ?? "")) throw err;
        skipped.push({ constraint: statement.constraint!, reason: server!.message });
      }
    }
  }
  await resetSequences(target, targetRef, created);
  return { skipped, checksums: result };
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
 * Moves each sequence a column of the target table owns (identity or serial, as the target has them) past
 * the values now in the table: to max(col) for an ascending sequence, min(col) for a descending one. On a
 * table this run created, an empty table restarts the sequence at its start; on an existing one (truncate,
 * append) a sequence is never moved back.
 */
async function resetSequences(sql: postgres.Sql, ref: TableRef, created: boolean): Promise<void> {
  for (const seq of await movableSequences(sql, ref)) {
    const name = quoteLiteral(seq.name);
    const furthest = seq.descending ? "least" : "greatest";
    const value = created ? "v" : `${furthest}(v, (SELECT last_value FROM ${seq.name}))`;
    const empty = created ? `setval(${name}, ${BigInt(seq.start)}, false)` : "NULL";
    await sql.unsafe(
      `SELECT CASE WHEN v IS NULL THEN ${empty} ELSE setval(${name}, ${value}, true) END
         FROM (SELECT ${seq.descending ? "min" : "max"}(${quoteIdent(seq.column)})::int8 AS v FROM ${qualify(ref)}) m`,
    );
  }
}
