import { setTimeout as sleep } from "node:timers/promises";
import type postgres from "postgres";
import { createTestDatabases } from "../../engine/test-support/test-databases";
import { readCpu, serverPids, type CpuShares } from "./cpu";
import { insertMarker, markerConnection } from "./marks";
import { compareTables, currentLsn, walBytesBetween, type TableCheck } from "./verify";
import { PGBENCH_TABLES, pgbenchSchema, startWorkload, type WorkloadStats } from "./workload";

/**
 * The baseline: PostgreSQL's own logical replication (CREATE SUBSCRIPTION) catching up on a fixed backlog.
 * Publisher and subscriber are two databases of the stack's one server. The slot is created beforehand
 * with pg_create_logical_replication_slot and the subscription uses create_slot = false: creating a slot
 * through a subscription on the same server waits for the CREATE SUBSCRIPTION transaction itself (a
 * self-deadlock). The subscriber starts from identical generated data, so copy_data = false.
 */

export interface CatchUpOptions {
  scale: number;
  clients: number;
  /** Backlog size in workload transactions (≈ 4.1 changes each). */
  transactions: number;
}

export interface NativeResult {
  backlog: WorkloadStats;
  /** Row changes in the backlog: the workload's plus the end marker. */
  changes: number;
  walBytes: number;
  /** ENABLE → end marker visible on the subscriber. */
  seconds: number;
  /** ENABLE → pg_stat_subscription.latest_end_lsn ≥ the publisher's LSN after the backlog (null: not seen). */
  lsnSeconds: number | null;
  changesPerSecond: number;
  /** CPU seconds of the walsender and the apply worker from ENABLE (both start then) to the end marker. */
  cpu: CpuShares;
  tables: TableCheck[];
}

export async function nativeCatchUp(pgUrl: string, options: CatchUpOptions): Promise<NativeResult> {
  const dbs = await createTestDatabases(pgUrl, "bench_native");
  const suffix = new URL(dbs.sourceUrl).pathname.slice(1).split("_").at(-1)!;
  const [publication, slot, subscription] = [`bench_pub_${suffix}`, `bench_slot_${suffix}`, `bench_sub_${suffix}`];
  let subscribed = false;
  let slotCreated = false;
  try {
    await Promise.all([dbs.source.unsafe(pgbenchSchema(options.scale)), dbs.target.unsafe(pgbenchSchema(options.scale))]);
    await dbs.source.unsafe(`CREATE PUBLICATION ${publication} FOR TABLE ${PGBENCH_TABLES.join(", ")}`);
    await dbs.source`SELECT pg_create_logical_replication_slot(${slot}, 'pgoutput')`;
    slotCreated = true;
    // The libpq connection string of the publisher: a postgres:// URI is valid conninfo.
    const conninfo = dbs.sourceUrl.replaceAll("'", "''");
    await dbs.target.unsafe(
      `CREATE SUBSCRIPTION ${subscription} CONNECTION '${conninfo}' PUBLICATION ${publication}
       WITH (enabled = false, create_slot = false, slot_name = '${slot}', copy_data = false)`,
    );
    subscribed = true;

    const startLsn = await currentLsn(dbs.source);
    const backlog = await startWorkload(dbs.sourceUrl, { ...options, run: 1 }).done;
    const marks = markerConnection(dbs.sourceUrl);
    const endMarker = await insertMarker(marks);
    await marks.end({ timeout: 5 });
    const endLsn = await currentLsn(dbs.source);
    const walBytes = await walBytesBetween(dbs.source, startLsn, endLsn);

    const t0 = performance.now();
    await dbs.target.unsafe(`ALTER SUBSCRIPTION ${subscription} ENABLE`);
    const { markerAt, lsnAt } = await waitCaughtUp(dbs.target, subscription, endMarker, endLsn, 600_000);
    const seconds = (markerAt - t0) / 1000;
    const cpu = readCpu(await serverPids(dbs.target, new URL(dbs.sourceUrl).pathname.slice(1), { subscription }), seconds);
    const changes = backlog.changes + 1;
    const tables = await compareTables(dbs.source, dbs.target, PGBENCH_TABLES);
    return {
      backlog,
      changes,
      walBytes,
      seconds,
      lsnSeconds: lsnAt === null ? null : (lsnAt - t0) / 1000,
      changesPerSecond: changes / seconds,
      cpu,
      tables,
    };
  } finally {
    await dropNative(dbs, { subscription: subscribed ? subscription : null, slot: slotCreated ? slot : null, publication });
  }
}

/**
 * Polls the subscriber every 10 ms for the end marker (primary: same criterion as DTaaS's catch-up) and
 * for latest_end_lsn (reported by the apply worker's feedback, so it may trail the apply a little).
 * After the marker, waits at most 10 s more for the LSN.
 */
async function waitCaughtUp(target: postgres.Sql, subscription: string, marker: number, endLsn: string, timeoutMs: number) {
  const deadline = performance.now() + timeoutMs;
  let markerAt: number | null = null;
  let lsnAt: number | null = null;
  while (lsnAt === null || markerAt === null) {
    const [row] = await target<{ marker: boolean; lsn: boolean | null }[]>`
      SELECT EXISTS (SELECT 1 FROM bench_marks WHERE id = ${marker}) AS marker,
             (SELECT latest_end_lsn >= ${endLsn}::pg_lsn FROM pg_stat_subscription
              WHERE subname = ${subscription} AND relid IS NULL) AS lsn`;
    const now = performance.now();
    if (row!.marker && markerAt === null) markerAt = now;
    if (row!.lsn && lsnAt === null) lsnAt = now;
    if (markerAt !== null && now - markerAt > 10_000) break;
    if (now > deadline) throw new Error(`native subscription did not catch up within ${timeoutMs / 1000} s`);
    await sleep(10);
  }
  return { markerAt: markerAt!, lsnAt };
}

/** Subscription first (disable, detach its slot, drop), then the slot and publication, then the databases. */
async function dropNative(
  dbs: Awaited<ReturnType<typeof createTestDatabases>>,
  names: { subscription: string | null; slot: string | null; publication: string },
): Promise<void> {
  try {
    if (names.subscription) {
      await dbs.target.unsafe(`ALTER SUBSCRIPTION ${names.subscription} DISABLE`);
      await dbs.target.unsafe(`ALTER SUBSCRIPTION ${names.subscription} SET (slot_name = NONE)`);
      await dbs.target.unsafe(`DROP SUBSCRIPTION ${names.subscription}`);
    }
    if (names.slot) {
      // The walsender of the disabled subscription exits asynchronously: the slot stays active a moment.
      for (let i = 0; ; i++) {
        const [row] = await dbs.source<{ active: boolean }[]>`SELECT active FROM pg_replication_slots WHERE slot_name = ${names.slot}`;
        if (!row) break;
        if (!row.active) {
          await dbs.source`SELECT pg_drop_replication_slot(${names.slot})`;
          break;
        }
        if (i > 100) throw new Error(`slot ${names.slot} still active after 10 s`);
        await sleep(100);
      }
    }
    await dbs.source.unsafe(`DROP PUBLICATION IF EXISTS ${names.publication}`);
  } finally {
    await dbs.drop();
  }
}
