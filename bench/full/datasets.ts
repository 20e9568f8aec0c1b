import type postgres from "postgres";

/**
 * The two source tables of the full-load benchmark. Each is built with generate_series into a table without
 * a key, keyed afterwards (faster than loading into a keyed table), then VACUUM ANALYZEd so that every tool
 * reads an all-visible, analyzed heap (and DTaaS plans its chunks from fresh statistics).
 */

export type DatasetKey = "pgbench" | "wide";

export interface Dataset {
  key: DatasetKey;
  /** Table name in schema `public` (the same on source and target). */
  table: string;
  rows: number;
  /** CREATE TABLE without its primary key. */
  createSql: string;
  /** The primary key's one column. */
  keyColumn: string;
  /** Adds the primary key (source after the load; the pipe's target before the copy). */
  keySql: string;
  loadSql: string;
}

/** pgbench_accounts exactly as `pgbench -i -s <scale>` makes it: 100,000 rows per scale unit. */
function pgbench(scale: number): Dataset {
  const rows = scale * 100_000;
  return {
    key: "pgbench",
    table: "pgbench_accounts",
    rows,
    createSql: "CREATE TABLE public.pgbench_accounts (aid int NOT NULL, bid int, abalance int, filler char(84)) WITH (fillfactor = 100)",
    keyColumn: "aid",
    keySql: "ALTER TABLE public.pgbench_accounts ADD PRIMARY KEY (aid)",
    loadSql: `INSERT INTO public.pgbench_accounts SELECT g, (g - 1) / 100000 + 1, 0, '' FROM generate_series(1, ${rows}) g`,
  };
}

/** A wide table of mixed types: 12 columns, ~1M rows at scale 20 (50,000 rows per scale unit). */
function wide(scale: number): Dataset {
  const rows = scale * 50_000;
  return {
    key: "wide",
    table: "bench_wide",
    rows,
    createSql: `CREATE TABLE public.bench_wide (
      id bigint NOT NULL, customer_id int, sku text, quantity smallint, price numeric(12,2), discount double precision,
      created_at timestamptz, ship_date date, paid boolean, ref uuid, attrs jsonb, note text)`,
    keyColumn: "id",
    keySql: "ALTER TABLE public.bench_wide ADD PRIMARY KEY (id)",
    loadSql: `INSERT INTO public.bench_wide SELECT g, ((g::bigint * 7919) % 100000)::int, 'SKU-' || lpad((g % 50000)::text, 6, '0'),
      (g % 20)::smallint, round((g % 100000) / 7.0, 2), (g % 1000) / 1000.0,
      timestamptz '2024-01-01 00:00:00+00' + g * interval '17 seconds', date '2024-01-01' + (g % 365), g % 3 = 0,
      md5(g::text)::uuid, jsonb_build_object('channel', (ARRAY['web', 'store', 'phone'])[1 + g % 3], 'items', g % 9),
      CASE WHEN g % 10 = 0 THEN NULL ELSE repeat('note ', 1 + g % 12) END
      FROM generate_series(1, ${rows}) g`,
  };
}

export function datasets(scale: number, only?: DatasetKey): Dataset[] {
  return [pgbench(scale), wide(scale)].filter((d) => !only || d.key === only);
}

export interface SourceStats {
  rows: number;
  /** pg_total_relation_size: heap + TOAST + the primary key index, bytes. The MB/s basis. */
  totalBytes: number;
  /** pg_relation_size of the heap alone, bytes. */
  heapBytes: number;
  loadSeconds: number;
}

/** Creates, loads, keys and VACUUM ANALYZEs the dataset's table in `sql`'s (empty) database. */
export async function loadSource(sql: postgres.Sql, d: Dataset): Promise<SourceStats> {
  const started = performance.now();
  await sql.unsafe(d.createSql);
  await sql.unsafe(d.loadSql);
  await sql.unsafe(d.keySql);
  await sql.unsafe(`VACUUM ANALYZE public.${d.table}`);
  const loadSeconds = (performance.now() - started) / 1000;
  const [r] = await sql.unsafe<{ rows: string; total: string; heap: string }[]>(
    `SELECT (SELECT count(*) FROM public.${d.table})::text AS rows,
            pg_total_relation_size('public.${d.table}')::text AS total, pg_relation_size('public.${d.table}')::text AS heap`,
  );
  return { rows: Number(r!.rows), totalBytes: Number(r!.total), heapBytes: Number(r!.heap), loadSeconds };
}
