/** Upper bounds (ms) of the latency histogram buckets; a last, unbounded bucket follows. Persisted as columns. */
export const LATENCY_BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;

export const BUCKET_COLUMNS = ["le5", "le10", "le25", "le50", "le100", "le250", "le500", "le1000", "le2500", "le5000", "le10000", "leInf"] as const;
export type BucketColumn = (typeof BUCKET_COLUMNS)[number];

export function bucketOf(durationMs: number): BucketColumn {
  const i = LATENCY_BUCKETS_MS.findIndex((le) => durationMs <= le);
  return BUCKET_COLUMNS[i === -1 ? BUCKET_COLUMNS.length - 1 : i]!;
}

/**
 * The q-quantile (0..1) of a histogram (non-cumulative counts per bucket), interpolated linearly inside
 * the bucket it falls in; in the unbounded bucket, its lower bound. Null without observations.
 */
export function quantile(counts: readonly number[], q: number): number | null {
  const total = counts.reduce((s, n) => s + n, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i]!;
    if (n > 0 && seen + n >= rank) {
      const lo = i === 0 ? 0 : LATENCY_BUCKETS_MS[i - 1]!;
      const hi = LATENCY_BUCKETS_MS[i];
      if (hi === undefined) return lo;
      return Math.round((lo + ((hi - lo) * (rank - seen)) / n) * 10) / 10;
    }
    seen += n;
  }
  return LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1]!;
}
