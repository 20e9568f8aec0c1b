import { cdcNames, dropSlotAndPublication } from "../../engine/cdc/slot";
import { openConnection } from "../../engine/db/connect";
import type { CdcSlot, CdcStreamStats } from "../../engine/jobs/protocol";
import { connectorUrl, getConnector } from "../../worker/src/connectors/store";
import { openDatabase } from "../../worker/src/db/client";
import type { CdcState, RunRecord } from "./run-store";

export function initialCdcState(slot: CdcSlot): CdcState {
  return { ...slot, appliedLsn: null, changesApplied: 0, transactionsApplied: 0, lagBytes: null, lagSeconds: null, lastBatchAt: null, dropped: false };
}

/**
 * The state after a progress report of the change stream. A report counts from its attempt's start, so
 * the totals of earlier attempts (restarts after failures) are kept as a base the first time a new
 * attempt reports.
 */
export function withStreamStats(state: CdcState, attemptId: string, stats: CdcStreamStats, now: number): CdcState {
  const base = state.streamAttempt === attemptId && state.streamBase ? state.streamBase : { changes: state.changesApplied, transactions: state.transactionsApplied };
  const changesApplied = base.changes + stats.changes;
  return {
    ...state,
    streamAttempt: attemptId,
    streamBase: base,
    appliedLsn: stats.appliedLsn ?? state.appliedLsn,
    receivedLsn: stats.receivedLsn ?? state.receivedLsn ?? null,
    changesApplied,
    transactionsApplied: base.transactions + stats.transactions,
    lagBytes: stats.lagBytes,
    lagSeconds: stats.lagSeconds,
    // The time these figures were measured (the lag chart takes one sample per report).
    lastBatchAt: now,
    connected: stats.connected,
  };
}

/**
 * While no stream is connected (between a failure and a working retry), nothing measures lag: it is taken
 * to be at least the time since the last report (or since streaming began), so a stream that stays down
 * raises cdc.lag_exceeded like one that falls behind. Null when a stream is connected.
 */
export function lagWhileDown(state: CdcState, now: number): CdcState | null {
  if (state.connected !== false || state.lastBatchAt === null) return null;
  return { ...state, lagSeconds: Math.max(state.lagSeconds ?? 0, (now - state.lastBatchAt) / 1000) };
}

/**
 * Drops the run's slot and publication on the source, from the coordinator itself (the runner may be
 * gone). A slot left behind would make the source keep WAL forever, so every end of a CDC run calls this.
 */
export async function dropCdc(env: Env, run: RunRecord): Promise<void> {
  const row = await getConnector(openDatabase(env.DB), run.tenantId, run.spec.sourceId);
  const db = await openConnection({ kind: row.kind, url: await connectorUrl(env, row) }, { neonWsProxy: env.NEON_WS_PROXY || undefined, connectTimeoutSeconds: 10 });
  try {
    await dropSlotAndPublication(db, cdcNames(run.taskId));
  } finally {
    await db.close();
  }
}

/**
 * Whether this round raises cdc.lag_exceeded: lag crossed the task's threshold and was not already
 * reported; after lag falls back under half the threshold, a new crossing raises it again.
 */
export function lagAlert(state: CdcState, thresholdSeconds: number | undefined): { state: CdcState; raise: boolean } {
  if (!thresholdSeconds || state.lagSeconds === null) return { state, raise: false };
  if (state.lagSeconds > thresholdSeconds && !state.lagAlerted) {
    return { state: { ...state, lagAlerted: true, lagAlerts: (state.lagAlerts ?? 0) + 1 }, raise: true };
  }
  if (state.lagAlerted && state.lagSeconds < thresholdSeconds / 2) return { state: { ...state, lagAlerted: false }, raise: false };
  return { state, raise: false };
}
