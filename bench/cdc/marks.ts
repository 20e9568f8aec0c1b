import postgres from "postgres";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * End-to-end lag, measured outside DTaaS: a marker row carries the source's clock_timestamp() at insert;
 * a prober polls the target and computes (target clock_timestamp() − marker time) when it first sees it.
 * Both databases live on one PostgreSQL server, so both clocks are the same clock.
 * The number overstates lag by at most one poll interval (POLL_MS) plus one target query.
 * Invariant: applies are transactional in source commit order, so when a marker is visible on the target,
 * every source transaction committed before it is applied too — a marker is also a convergence probe.
 */

const POLL_MS = 10;

/** A connection whose commits flush at once (the stack's server default is synchronous_commit = off). */
export function markerConnection(url: string): postgres.Sql {
  return postgres(url, { max: 1, onnotice: () => {}, connection: { synchronous_commit: "on" } });
}

export async function insertMarker(source: postgres.Sql): Promise<number> {
  const [row] = await source<{ id: string }[]>`INSERT INTO bench_marks (at) VALUES (clock_timestamp()) RETURNING id`;
  return Number(row!.id);
}

/** Resolves with performance.now() at the first poll that sees marker `id` on the target. */
export async function waitForMarker(target: postgres.Sql, id: number, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const rows = await target`SELECT 1 FROM bench_marks WHERE id = ${id}`.catch(() => []);
    if (rows.length > 0) return performance.now();
    if (performance.now() > deadline) throw new Error(`marker ${id} did not reach the target within ${timeoutMs / 1000} s`);
    await sleep(POLL_MS);
  }
}

export interface MarkerResult {
  sent: number;
  /** Lag per marker in ms, in id order; markers not seen before the timeout are missing. */
  lagsMs: number[];
  missing: number;
}

/** Inserts a marker every `intervalMs` until stop(); stop() then waits (bounded) for the rest to arrive. */
export function startMarkers(source: postgres.Sql, target: postgres.Sql, intervalMs = 100) {
  let writing = true;
  let probing = true;
  const sent: number[] = [];
  const lags = new Map<number, number>();
  const writer = (async () => {
    while (writing) {
      const started = performance.now();
      sent.push(await insertMarker(source));
      await sleep(Math.max(0, intervalMs - (performance.now() - started)));
    }
  })();
  const prober = (async () => {
    let last = 0;
    while (probing) {
      if (sent.length > 0) {
        const from = last || sent[0]! - 1;
        const rows = await target<{ id: string; lag: number }[]>`
          SELECT id, extract(epoch FROM clock_timestamp() - at)::float8 * 1000 AS lag
          FROM bench_marks WHERE id > ${from} ORDER BY id`;
        for (const r of rows) lags.set(Number(r.id), r.lag);
        if (rows.length > 0) last = Number(rows.at(-1)!.id);
      }
      await sleep(POLL_MS);
    }
  })();
  return {
    async stop(timeoutMs = 120_000): Promise<MarkerResult> {
      writing = false;
      await writer;
      const deadline = performance.now() + timeoutMs;
      while (sent.some((id) => !lags.has(id)) && performance.now() < deadline) await sleep(50);
      probing = false;
      await prober;
      const lagsMs = sent.filter((id) => lags.has(id)).map((id) => lags.get(id)!);
      return { sent: sent.length, lagsMs, missing: sent.length - lagsMs.length };
    },
  };
}
