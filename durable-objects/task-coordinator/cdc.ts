import { cdcNames, dropSlotAndPublication } from "../../engine/cdc/slot";
import { openConnection } from "../../engine/db/connect";
import type { CdcBatchOutcome, CdcSlot } from "../../engine/jobs/protocol";
import { connectorUrl, getConnector } from "../../worker/src/connectors/store";
import { openDatabase } from "../../worker/src/db/client";
import type { CdcState, RunRecord } from "./run-store";

/** Wait before the next read when the last one found nothing (the latency floor of an idle stream). */
export const CDC_IDLE_POLL_MS = 200;
/**
 * pgoutput messages one round reads at most (a soft bound: a transaction is never cut). Bounds a round's
 * duration; the runner's memory is bounded by the reader's batch size, not by this. Measured: 20k-message
 * rounds spent a third of their time on per-round costs; the engine step runs at ~92k changes/s at 100k.
 */
export const CDC_BATCH_CHANGES = 100_000;

export function initialCdcState(slot: CdcSlot): CdcState {
  return { ...slot, appliedLsn: null, changesApplied: 0, transactionsApplied: 0, lagBytes: null, lagSeconds: null, lastBatchAt: null, dropped: false };
}

/** The state after one round, and when the next round should start. */
export function afterBatch(state: CdcState, outcome: CdcBatchOutcome, now: number): { state: CdcState; delayMs: number } {
  return {
    state: {
      ...state,
      appliedLsn: outcome.lastLsn ?? state.appliedLsn,
      changesApplied: state.changesApplied + outcome.changes,
      transactionsApplied: state.transactionsApplied + outcome.transactions,
      lagBytes: outcome.lagBytes,
      lagSeconds: outcome.changes > 0 ? outcome.lagSeconds : 0,
      lastBatchAt: now,
    },
    // A round that found changes is followed at once: there may be more behind it.
    delayMs: outcome.changes > 0 ? 0 : CDC_IDLE_POLL_MS,
  };
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
