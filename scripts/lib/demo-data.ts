import postgres from "postgres";

export interface DemoDataOptions {
  /** Superuser URL of any database of the cluster (used for CREATE DATABASE). */
  adminUrl: string;
  sourceDb?: string;
  targetDb?: string;
  /** Rows of public.orders; the other tables are sized from it (see `demoRowCounts`). */
  orders?: number;
  log?: (line: string) => void;
}

export interface DemoDataResult {
  /** False when the source already held the demo data (nothing was written). */
  created: boolean;
  counts: Record<string, number>;
}

// Bump when the shape changes; a database carrying another marker is left alone.
const MARKER = "dtaas demo data v1";

/** Exact row counts the generator produces for `orders` orders, keyed by qualified table name. */
export function demoRowCounts(orders: number): Record<string, number> {
  const sizes = demoSizes(orders);
  // Order o (1 ≤ o ≤ itemOrders) has 1 + o % 3 lines.
  const m = sizes.itemOrders;
  const remainder = m % 3 === 0 ? 0 : m % 3 === 1 ? 1 : 3;
  return {
    "public.customers": sizes.customers,
    "public.orders": orders,
    "public.order_items": m + Math.floor(m / 3) * 3 + remainder,
    'inventory."Products"': sizes.products,
    "public.events_log": sizes.events,
    "public.refunds": 0,
  };
}

function demoSizes(orders: number) {
  if (!Number.isSafeInteger(orders) || orders < 1) throw new Error(`orders must be a positive integer, got ${orders}`);
  return {
    customers: Math.max(100, Math.floor(orders / 100)),
    products: Math.max(10, Math.floor(orders / 1000)),
    itemOrders: Math.floor(orders / 10),
    events: Math.max(100, Math.floor(orders / 20)),
  };
}

/**
 * Creates the source and target databases when missing and fills the source with demo tables unless it
 * already carries the marker. The whole fill is one transaction ending with the marker, so an interrupted
 * run leaves nothing behind and the next run starts over.
 */
export async function ensureDemoData(options: DemoDataOptions): Promise<DemoDataResult> {
  const sourceDb = options.sourceDb ?? "demo_source";
  const targetDb = options.targetDb ?? "demo_target";
  const orders = options.orders ?? 1_000_000;
  const log = options.log ?? (() => {});
  const counts = demoRowCounts(orders);

  const admin = postgres(options.adminUrl, { max: 1, onnotice: () => {} });
  try {
    await createDatabaseIfMissing(admin, sourceDb);
    await createDatabaseIfMissing(admin, targetDb);
  } finally {
    await admin.end();
  }

  const source = postgres(withDatabase(options.adminUrl, sourceDb), { max: 1, onnotice: () => {} });
  try {
    const [row] = await source<{ marker: string | null }[]>`
      SELECT shobj_description(oid, 'pg_database') AS marker FROM pg_database WHERE datname = current_database()`;
    if (row?.marker === MARKER) return { created: false, counts };
    const started = Date.now();
    log(`generating demo data in ${sourceDb} (${orders.toLocaleString("en-US")} orders)…`);
    await source.begin(async (tx) => {
      await tx.unsafe(demoDataSql(orders));
      await tx.unsafe(`COMMENT ON DATABASE ${quoteIdent(sourceDb)} IS '${MARKER}'`);
    });
    log(`demo data ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return { created: true, counts };
  } finally {
    await source.end();
  }
}

async function createDatabaseIfMissing(admin: postgres.Sql, name: string): Promise<void> {
  const found = await admin`SELECT 1 FROM pg_database WHERE datname = ${name}`;
  if (found.length > 0) return;
  try {
    await admin.unsafe(`CREATE DATABASE ${quoteIdent(name)}`);
  } catch (error) {
    // 42P04 duplicate_database: created concurrently, which is what we wanted.
    if ((error as { code?: string }).code !== "42P04") throw error;
  }
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Deterministic data (no random()): the same `orders` always yields the same rows. Shapes cover what a copy
 * must handle: jsonb and nulls, a 1M+ row bigint key, a composite key, a mixed-case schema-qualified table
 * with an enum, arrays and a uuid key, a table without a primary key (with exact duplicate rows) and an
 * empty table. Keys and indexes are added after the rows: it loads faster.
 */
function demoDataSql(orders: number): string {
  const s = demoSizes(orders);
  return `
CREATE TABLE public.customers (
  id bigint NOT NULL,
  name text NOT NULL,
  email text NOT NULL,
  created_at timestamptz NOT NULL,
  profile jsonb
);
INSERT INTO public.customers
SELECT i, 'Customer ' || i, 'customer' || i || '@example.com',
       timestamptz '2023-01-01 00:00:00+00' + i * interval '47 minutes',
       CASE WHEN i % 7 = 0 THEN NULL ELSE jsonb_build_object(
         'tier', (ARRAY['free', 'pro', 'enterprise'])[1 + i % 3],
         'newsletter', i % 2 = 0,
         'tags', jsonb_build_array('t' || i % 5, 'ü' || i % 2)) END
FROM generate_series(1::bigint, ${s.customers}) AS i;
ALTER TABLE public.customers ADD PRIMARY KEY (id), ADD UNIQUE (email);

CREATE TABLE public.orders (
  id bigint NOT NULL,
  customer_id bigint NOT NULL,
  status text NOT NULL,
  amount numeric(12,2) NOT NULL,
  currency char(3) NOT NULL,
  ordered_at timestamptz NOT NULL,
  shipped_at timestamptz,
  note text
);
INSERT INTO public.orders
SELECT i, 1 + (i * 7919) % ${s.customers}, (ARRAY['pending', 'paid', 'shipped', 'cancelled'])[1 + i % 4],
       ((i * 104729) % 100000) / 100.0 + 1, CASE WHEN i % 10 = 0 THEN 'EUR' ELSE 'USD' END,
       timestamptz '2024-01-01 00:00:00+00' + i * interval '30 seconds',
       CASE WHEN i % 4 = 2 THEN timestamptz '2024-01-03 00:00:00+00' + i * interval '30 seconds' END,
       CASE WHEN i % 100 = 0 THEN 'gift wrap, "fragile"' END
FROM generate_series(1::bigint, ${orders}) AS i;
ALTER TABLE public.orders ADD PRIMARY KEY (id);
CREATE INDEX orders_customer_id_idx ON public.orders (customer_id);

CREATE SCHEMA inventory;
CREATE TYPE inventory.product_category AS ENUM ('hardware', 'software', 'service', 'Other Stuff');
CREATE TABLE inventory."Products" (
  id uuid NOT NULL,
  "SKU" text NOT NULL,
  name text NOT NULL,
  category inventory.product_category NOT NULL,
  tags text[] NOT NULL,
  dimensions_cm numeric(6,1)[],
  in_stock boolean NOT NULL,
  "updatedAt" timestamptz NOT NULL
);
INSERT INTO inventory."Products"
SELECT md5('product-' || i)::uuid, 'SKU-' || lpad(i::text, 6, '0'), 'Product ' || i,
       (enum_range(NULL::inventory.product_category))[1 + i % 4],
       ARRAY['tag' || i % 3, 'tag' || i % 5],
       CASE WHEN i % 6 = 0 THEN NULL ELSE ARRAY[i % 100 + 0.5, i % 50 + 1, i % 20 + 2.5]::numeric(6,1)[] END,
       i % 9 <> 0,
       timestamptz '2024-06-01 00:00:00+00' + i * interval '1 hour'
FROM generate_series(1, ${s.products}) AS i;
ALTER TABLE inventory."Products" ADD PRIMARY KEY (id), ADD UNIQUE ("SKU");

CREATE TABLE public.order_items (
  order_id bigint NOT NULL,
  line_no int NOT NULL,
  product_id uuid NOT NULL,
  quantity int NOT NULL,
  unit_price numeric(10,2) NOT NULL
);
INSERT INTO public.order_items
SELECT o, l, md5('product-' || (1 + (o * 31 + l) % ${s.products}))::uuid, 1 + (o + l) % 5,
       ((o * 13 + l * 7) % 10000) / 100.0 + 0.5
FROM generate_series(1::bigint, ${s.itemOrders}) AS o, generate_series(1, 1 + (o % 3)::int) AS l;
ALTER TABLE public.order_items ADD PRIMARY KEY (order_id, line_no);

CREATE TABLE public.events_log (
  occurred_at timestamptz NOT NULL,
  level text NOT NULL,
  source text,
  message text NOT NULL,
  payload jsonb
);
INSERT INTO public.events_log
SELECT CASE WHEN i % 500 = 0 THEN timestamptz '2024-01-01 00:00:00+00'
            ELSE timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second' END,
       CASE WHEN i % 500 = 0 THEN 'info' ELSE (ARRAY['debug', 'info', 'info', 'warn', 'error'])[1 + i % 5] END,
       CASE WHEN i % 3 = 0 THEN NULL ELSE 'service-' || i % 4 END,
       CASE WHEN i % 500 = 0 THEN 'heartbeat' ELSE 'event ' || i END,
       CASE WHEN i % 500 = 0 THEN NULL ELSE jsonb_build_object('seq', i, 'ok', i % 5 <> 4) END
FROM generate_series(1::bigint, ${s.events}) AS i;

CREATE TABLE public.refunds (
  id bigint PRIMARY KEY,
  order_id bigint NOT NULL,
  amount numeric(12,2) NOT NULL,
  reason text,
  created_at timestamptz NOT NULL
);

ANALYZE;
`;
}
