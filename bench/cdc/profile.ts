import type postgres from "postgres";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * A sampling profiler of DTaaS's change stream from the server's side, without touching DTaaS: every
 * `intervalMs` it reads pg_stat_activity and classifies what the task's sessions are doing.
 *   stream       — the task's walsender (query text `START_REPLICATION …`);
 *   apply        — a target session runs a statement of the apply (upserts, deletes, checkpoint, COMMIT);
 *   source-other — another source session of the task: type resolution for an added column;
 *   idle         — none of these.
 * Each tick counts into exactly one bucket of the combined state ("apply+stream" when both overlap).
 * Hazard: the walsender is `active` for as long as it streams, waiting for WAL included, so "stream"
 * alone means the server has nothing to send or the runner is busy outside the target (decode, fold).
 * Hazard: a statement shorter than the interval can be missed; shares are estimates, not exact times.
 */

export type ActivityShares = Record<string, number> & { samples: number };

export function startActivityProfiler(admin: postgres.Sql, databases: { source: string; target: string }, intervalMs = 10) {
  const counts = new Map<string, number>();
  const queries = new Map<string, number>();
  let running = true;
  let samples = 0;
  const loop = (async () => {
    while (running) {
      const rows = await admin<{ db: string; query: string }[]>`
        SELECT datname AS db, left(regexp_replace(query, '\\s+', ' ', 'g'), 60) AS query FROM pg_stat_activity
        WHERE state = 'active' AND pid <> pg_backend_pid() AND datname IN (${databases.source}, ${databases.target})
          AND query NOT LIKE '%bench_marks%'`;
      const kinds = new Set<string>();
      for (const r of rows) {
        const kind = classify(r.db === databases.source ? "source" : "target", r.query);
        if (!kind) continue;
        kinds.add(kind);
        const key = `${kind}: ${r.query.slice(0, 40)}`;
        queries.set(key, (queries.get(key) ?? 0) + 1);
      }
      const state = kinds.size === 0 ? "idle" : [...kinds].sort().join("+");
      counts.set(state, (counts.get(state) ?? 0) + 1);
      samples++;
      await sleep(intervalMs);
    }
  })();
  return {
    /** Share of ticks per combined state, and the most frequent active statements (share of ticks). */
    async stop(): Promise<{ states: ActivityShares; topStatements: [string, number][] }> {
      running = false;
      await loop;
      const share = (n: number) => Math.round((1000 * n) / Math.max(1, samples)) / 1000;
      const states = Object.fromEntries([...counts].map(([k, v]) => [k, share(v)])) as ActivityShares;
      states.samples = samples;
      const topStatements = [...queries].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => [k, share(v)] as [string, number]);
      return { states, topStatements };
    },
  };
}

function classify(side: "source" | "target", query: string): string | null {
  if (side === "target") return "apply";
  if (/pgbench_/.test(query)) return null; // the benchmark's own workload
  if (/^\s*START_REPLICATION/i.test(query)) return "stream";
  return "source-other";
}
