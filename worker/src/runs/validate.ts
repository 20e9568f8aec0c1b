import postgres from "postgres";
import { checksumChunk, type ChunkChecksum } from "../../../engine/checksum/checksum-chunk";
import type { TableRef } from "../../../engine/catalog/types";
import { assertReachable } from "../../../engine/db/reachability";
import type { PreparedTable } from "../../../engine/jobs/protocol";
import type { Chunk } from "../../../engine/plan/chunk";
import type { RowFilter } from "../../../engine/task-config";

export interface ValidationTable extends PreparedTable {
  /** The table's row filters with variables substituted: the source side is compared under them. */
  filters: RowFilter[];
}

export interface TableValidation {
  source: string;
  target: string;
  sourceRows: number;
  targetRows: number;
  equal: boolean;
  chunks: number;
  mismatchedChunks: { index: number; lo: string[] | null; hi: string[] | null; source: ChunkChecksum; target: ChunkChecksum }[];
}

export interface ValidationReport {
  runId: string;
  validatedAt: number;
  result: "passed" | "failed";
  tables: TableValidation[];
}

const name = (t: TableRef) => `${t.schema}.${t.name}`;

/** One short-lived postgres.js client inside workerd (probed first; never ended, see engine/db/postgres-js.ts). */
async function client(url: string): Promise<postgres.Sql> {
  await assertReachable(url);
  return postgres(url, { max: 2, prepare: false, fetch_types: false, onnotice: () => {}, connect_timeout: 10 });
}

/**
 * Compares every table of a run on both sides, chunk by chunk (the run's own key ranges, so each query is
 * bounded), by row count and order-independent hash. Meant for a quiet point: rows changing meanwhile
 * show up as mismatches.
 */
export async function validateTables(runId: string, sourceUrl: string, targetUrl: string, tables: ValidationTable[]): Promise<ValidationReport> {
  const [source, target] = await Promise.all([client(sourceUrl), client(targetUrl)]);
  const results: TableValidation[] = [];
  for (const t of tables) {
    const chunks: Chunk[] = t.chunks.length ? t.chunks : [{ index: 0, lo: null, hi: null, wholeTable: true }];
    const result: TableValidation = { source: name(t.table), target: name(t.targetTable), sourceRows: 0, targetRows: 0, equal: true, chunks: chunks.length, mismatchedChunks: [] };
    for (const chunk of chunks) {
      const [s, d] = await Promise.all([checksumChunk(source, t.table, chunk, t.filters), checksumChunk(target, t.table, chunk, t.filters, t.targetTable)]);
      result.sourceRows += s.rows;
      result.targetRows += d.rows;
      if (s.rows !== d.rows || s.hash !== d.hash) {
        result.equal = false;
        if (result.mismatchedChunks.length < 20) result.mismatchedChunks.push({ index: chunk.index, lo: chunk.lo, hi: chunk.hi, source: s, target: d });
      }
    }
    results.push(result);
  }
  return { runId, validatedAt: Date.now(), result: results.every((r) => r.equal) ? "passed" : "failed", tables: results };
}
