import type postgres from "postgres";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * A sampling profiler of DTaaS's CDC rounds from the server's side, without touching DTaaS: every
 * `intervalMs` it reads pg_stat_activity and classifies what the task's sessions are doing.
 *   read    — a source session runs DECLARE/FETCH over pg_logical_slot_peek_binary_changes (the server
 *             decodes and materializes the peek before the first FETCH answers);
 *   apply   — a target session runs a statement of the apply (upserts, deletes, checkpoint, COMMIT);
 *   advance — a source session runs pg_replication_slot_advance or the lag query;
 *   idle    — none of these: the runner's own CPU (decode, fold, build statements), connection set-up,
 *             and the dispatch gap between rounds (runner → coordinator → queue → runner).
 * It also samples how far the task slot's restart_lsn trails its confirmed_flush_lsn (WAL every peek
 * decodes again, only to skip it).
 * Each tick counts into exactly one bucket of the combined state ("read+apply" when both overlap).
 * Hazard: a statement shorter than the interval can be missed; shares are estimates, not exact times.
 */

export type ActivityShares = Record<string, number> & { samples: number };

export function startActivityProfiler(admin: postgres.Sql, databases: { source: string; target: string }, intervalMs = 10) {
  const counts = new Map<string, number>();
  const queries = new Map<string, number>();
  let running = true;
  let samples = 0;
  const redecode: number[] = [];
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
      // How much WAL each new peek decodes again before reaching new changes: a polling peek starts at
      // restart_lsn, which only moves at a running-xacts record (checkpoint, or bgwriter every 15 s).
      const [slot] = await admin<{ behind: string | null }[]>`
        SELECT max(pg_wal_lsn_diff(confirmed_flush_lsn, restart_lsn))::text AS behind FROM pg_replication_slots
        WHERE database = ${databases.source}`;
      if (slot?.behind) redecode.push(Number(slot.behind));
      const state = kinds.size === 0 ? "idle" : [...kinds].sort().join("+");
      counts.set(state, (counts.get(state) ?? 0) + 1);
      samples++;
      await sleep(intervalMs);
    }
  })();
  return {
    /** Share of ticks per combined state, and the most frequent active statements (share of ticks). */
    async stop(): Promise<{ states: ActivityShares; topStatements: [string, number][]; restartBehindMiB: { mean: number; max: number } | null }> {
      running = false;
      await loop;
      const share = (n: number) => Math.round((1000 * n) / Math.max(1, samples)) / 1000;
      const states = Object.fromEntries([...counts].map(([k, v]) => [k, share(v)])) as ActivityShares;
      states.samples = samples;
      const topStatements = [...queries].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => [k, share(v)] as [string, number]);
      const mib = (b: number) => Math.round((b / 1048576) * 10) / 10;
      const restartBehindMiB = redecode.length
        ? { mean: mib(redecode.reduce((a, b) => a + b, 0) / redecode.length), max: mib(Math.max(...redecode)) }
        : null;
      return { states, topStatements, restartBehindMiB };
    },
  };
}

function classify(side: "source" | "target", query: string): string | null {
  if (side === "target") return "apply";
  if (/pgbench_/.test(query)) return null; // the benchmark's own workload
  if (/pg_current_wal_flush_lsn/i.test(query)) return "read";
  if (/pg_replication_slot_advance|pg_replication_slots|pg_current_wal/i.test(query)) return "advance";
  if (/^\s*(BEGIN|DECLARE|FETCH|CLOSE)|peek_binary_changes/i.test(query)) return "read";
  // Other source statements of a round (type resolution) or the workload, when one runs.
  return "source-other";
}
