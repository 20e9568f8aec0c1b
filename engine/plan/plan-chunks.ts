import type postgres from "postgres";
import type { TableInfo } from "../catalog/types";
import { castTypeOf, qualify, quoteIdent, quoteLiteral } from "../ddl/quote";
import { CHUNKS_IN_FLIGHT_PER_TABLE, chunkCount, chunksFromBoundaries, pickBoundaries, samplePercent, sampleStep, type KeyTuple } from "./boundaries";
import { chunkKey, keyColumns, type Chunk } from "./chunk";
import { querySettled } from "./session";

const PAGE_BYTES = 8192;
/** Blocks sampled to estimate the row count of a never-analyzed table. */
const ESTIMATE_BLOCKS = 256;

/**
 * Splits a table into primary-key range chunks of at most about `chunkRows` rows, as many as chunkCount
 * says for `lanes` chunks in flight (the coordinator's by default), without scanning it: from
 * pg_stats histogram bounds (single-column keys, when fine enough) or an ordered TABLESAMPLE SYSTEM
 * sample. Whatever the estimates, the chunks cover the whole key space with no gaps and no overlaps
 * (first lo = null, last hi = null), so stale statistics only make chunks uneven, never rows lost.
 */
export async function planChunks(sql: postgres.Sql, table: TableInfo, options: { chunkRows: number; lanes?: number }): Promise<Chunk[]> {
  if (chunkKey(table).length === 0) return [{ index: 0, lo: null, hi: null, wholeTable: true }];
  const pages = Math.max(1, Math.ceil(table.sizeBytes / PAGE_BYTES));
  const estimated = table.estimatedRows >= 0 ? table.estimatedRows : await estimateRows(sql, table, pages);
  const chunks = chunkCount(estimated, options.chunkRows, options.lanes ?? CHUNKS_IN_FLIGHT_PER_TABLE);
  if (chunks <= 1) return chunksFromBoundaries([]);
  const histogram = chunkKey(table).length === 1 ? await histogramBounds(sql, table) : [];
  const sorted = histogram.length > chunks ? histogram : await orderedSample(sql, table, estimated, pages, chunks);
  return chunksFromBoundaries(pickBoundaries(sorted, chunks));
}

/** One chunk holding every key: no range condition on either side. */
export function wholeKeyRange(): Chunk[] {
  return chunksFromBoundaries([]);
}

async function estimateRows(sql: postgres.Sql, table: TableInfo, pages: number): Promise<number> {
  const percent = Math.min(100, (100 * ESTIMATE_BLOCKS) / pages);
  const [row] = await sql.unsafe<{ n: string }[]>(`SELECT count(*)::text AS n FROM ${qualify(table)} TABLESAMPLE SYSTEM (${percent})`);
  return Math.round((Number(row?.n ?? 0) * 100) / percent);
}

/** pg_stats histogram bounds of the key column, sorted by the column's btree order, as text. */
async function histogramBounds(sql: postgres.Sql, table: TableInfo): Promise<KeyTuple[]> {
  const [key] = keyColumns(table);
  if (!key || key.isArray) return [];
  const rows = await querySettled<{ v: string }>(sql,
    `SELECT b::text AS v
       FROM pg_stats s, unnest(s.histogram_bounds::text::${castTypeOf(key)}[]) WITH ORDINALITY AS u(b, n)
      WHERE s.schemaname = ${quoteLiteral(table.schema)} AND s.tablename = ${quoteLiteral(table.name)}
        AND s.attname = ${quoteLiteral(key.name)} AND NOT s.inherited
      ORDER BY u.n`,
  );
  return rows.map((r) => [r.v]);
}

/**
 * Every `step`-th key of a block sample, in key order. The sort and thinning happen in the server, so the
 * client holds about chunks × SAMPLE_ROWS_PER_CHUNK keys however large the table.
 */
async function orderedSample(
  sql: postgres.Sql,
  table: TableInfo,
  estimated: number,
  pages: number,
  chunks: number,
): Promise<KeyTuple[]> {
  const keys = keyColumns(table).map((k) => quoteIdent(k.name));
  const percent = samplePercent(estimated, pages, chunks);
  const step = sampleStep((estimated * percent) / 100, chunks);
  const rows = await querySettled<{ k: string[] }>(sql,
    `SELECT ARRAY[${keys.map((k) => `${k}::text`).join(", ")}] AS k
       FROM (SELECT ${keys.join(", ")}, row_number() OVER (ORDER BY ${keys.join(", ")}) AS rn
               FROM ${qualify(table)} TABLESAMPLE SYSTEM (${percent})) s
      WHERE rn % ${step} = 0
      ORDER BY rn`,
  );
  return rows.map((r) => r.k);
}
