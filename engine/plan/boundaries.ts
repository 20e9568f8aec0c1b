import type { Chunk } from "./chunk";

/** Key values as text, in key order. */
export type KeyTuple = string[];

/** Chunks of one table the coordinator copies at once (durable-objects/task-coordinator). */
export const CHUNKS_IN_FLIGHT_PER_TABLE = 2;

/**
 * How many chunks a table of `estimatedRows` rows is split into: one when it holds at most `chunkRows`
 * rows, else the fewest multiple of `lanes` whose chunks hold at most `chunkRows`. A multiple, so that the
 * chunks in flight end together instead of a lone last chunk running alone (2.01M rows at 1M: 4 chunks,
 * not 3). Not more for a table that fits one chunk: chunks of one table in flight together contend
 * for its heap and gained nothing on 2 cores (task-config.ts).
 */
export function chunkCount(estimatedRows: number, chunkRows: number, lanes = 1): number {
  if (!(chunkRows >= 1)) throw new Error("chunkRows must be ≥ 1");
  const rows = Math.max(0, estimatedRows);
  if (rows <= chunkRows) return 1;
  return lanes * Math.ceil(rows / (chunkRows * lanes));
}

/** Sampled rows wanted per chunk boundary: enough that chunk sizes stay within a few percent. */
export const SAMPLE_ROWS_PER_CHUNK = 64;
/** Sampled blocks wanted per chunk: TABLESAMPLE SYSTEM returns whole blocks, so rows cluster by block. */
export const SAMPLE_BLOCKS_PER_CHUNK = 8;

/**
 * The TABLESAMPLE SYSTEM percentage giving at least `chunks × SAMPLE_ROWS_PER_CHUNK` rows from at least
 * `chunks × SAMPLE_BLOCKS_PER_CHUNK` blocks, in (0, 100].
 */
export function samplePercent(estimatedRows: number, pages: number, chunks: number): number {
  const byRows = (chunks * SAMPLE_ROWS_PER_CHUNK) / Math.max(1, estimatedRows);
  const byBlocks = (chunks * SAMPLE_BLOCKS_PER_CHUNK) / Math.max(1, pages);
  return Math.min(100, Math.max(0.0001, 100 * Math.max(byRows, byBlocks)));
}

/**
 * Every `step`-th sampled row is sent back, so the client holds about `chunks × SAMPLE_ROWS_PER_CHUNK` keys
 * whatever the sample size.
 */
export function sampleStep(expectedSampleRows: number, chunks: number): number {
  return Math.max(1, Math.floor(expectedSampleRows / (chunks * SAMPLE_ROWS_PER_CHUNK)));
}

/**
 * `chunks - 1` boundaries at evenly spaced quantiles of a sorted sample (or histogram), strictly
 * increasing: equal neighbours collapse, so fewer chunks come out when the sample is small. `sameKey`
 * compares text forms, which is exact for primary-key values (unique, so no two distinct sample rows
 * share a key).
 */
export function pickBoundaries(sorted: readonly KeyTuple[], chunks: number): KeyTuple[] {
  if (sorted.length === 0 || chunks <= 1) return [];
  const picked: KeyTuple[] = [];
  for (let i = 1; i < chunks; i++) {
    const candidate = sorted[Math.round((i * (sorted.length - 1)) / chunks)]!;
    const last = picked[picked.length - 1];
    if (!last || !sameKey(last, candidate)) picked.push(candidate);
  }
  return picked;
}

function sameKey(a: KeyTuple, b: KeyTuple): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Chunks `[null, b0), [b0, b1), …, [bn, null)`: together they cover the whole key space with no gap and
 * no overlap, whatever rows exist now or are added later.
 */
export function chunksFromBoundaries(boundaries: readonly KeyTuple[]): Chunk[] {
  const chunks: Chunk[] = [];
  let lo: KeyTuple | null = null;
  for (const b of [...boundaries, null]) {
    chunks.push({ index: chunks.length, lo, hi: b, wholeTable: false });
    lo = b;
  }
  return chunks;
}
