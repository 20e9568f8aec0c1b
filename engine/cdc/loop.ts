import { closeDedicated, openDedicated } from "../copy/dedicated-connection";
import { classifyError } from "../errors/classify";
import { openPostgres } from "../db/postgres-js";
import { ApplySession, type ApplyResult, type TableMapping } from "./apply";
import { formatLsn, type Lsn } from "./lsn";
import { pollingReader, type ChangeReader } from "./read";
import { sourceTypeResolver } from "./schema-change";
import { advanceSlot, slotLag } from "./slot";

/**
 * One CDC step: read → apply → advance. The runner calls it again and again under the coordinator's
 * control (docs/cdc.md). Each call is safe to repeat after a crash at any point:
 *   crash before the target COMMIT  → nothing applied, the slot unmoved: the next call reads it all again;
 *   crash after COMMIT, before the advance → the next call reads the same transactions and the checkpoint
 *     in the target skips them; then the slot is advanced.
 */

export interface CdcStepInput {
  /** postgres:// URLs; every call opens its own connections and closes (or, after a failure, destroys) them. */
  source: string;
  target: string;
  slot: string;
  publication: string;
  taskId: string;
  mapping: readonly TableMapping[];
  /**
   * Soft bound of one step in pgoutput messages: the read stops at the first transaction end after it (a
   * larger transaction is read and applied whole, in pieces). Default 100 000.
   */
  maxChanges?: number;
  /** Most changes per read batch; a step holds at most two batches (see readAhead). Default 10 000. */
  batchSize?: number;
  /** Replaces the SQL-polling reader (e.g. a streaming-protocol reader). */
  reader?: (input: CdcStepInput) => { reader: ChangeReader; close(failed: boolean): Promise<void> };
}

export interface CdcStepResult {
  /** Row changes applied on the target in this step (skipped ones excluded). */
  applied: number;
  /** Source transactions applied in this step. */
  transactions: number;
  /** Source transactions skipped because the target checkpoint already covered them. */
  skipped: number;
  /** The target checkpoint after this step (commit LSN of the last applied transaction), `X/Y` text. */
  lastLsn: string;
  /** The slot's confirmed position after the advance, `X/Y` text. */
  confirmedLsn: string;
  /** WAL bytes the slot still holds back after this step. */
  lagBytes: number;
  /** Source commit time (epoch ms) of the last transaction this step applied; null when none. */
  lastCommitTime: number | null;
}

/** Runs one step. Errors are AppErrors (classified once, with `retryable`); nothing is left half-applied. */
export async function runCdcOnce(input: CdcStepInput): Promise<CdcStepResult> {
  const control = openPostgres(input.source, { max: 1 });
  const { reader, close } = (input.reader ?? defaultReader)(input);
  let session: ApplySession | undefined;
  let failed = true;
  try {
    session = await ApplySession.open(input.target, { taskId: input.taskId, mapping: input.mapping, resolveType: sourceTypeResolver(control) });
    let advanceTo: Lsn | null = null;
    let lastCommitTime: number | null = null;
    const batches = reader.read({ maxChanges: input.maxChanges ?? 100_000, batchSize: input.batchSize ?? 10_000 });
    for await (const batch of readAhead(batches)) {
      await session.apply(batch.pieces);
      advanceTo = batch.advanceTo ?? advanceTo;
      for (const piece of batch.pieces) if (piece.final && piece.commitTime > (lastCommitTime ?? 0)) lastCommitTime = piece.commitTime;
    }
    const applied: ApplyResult = await session.commit();
    failed = false;
    // The target COMMIT is durable: only now may the slot forget these changes.
    const confirmed = advanceTo === null ? null : await advanceSlot(control, input.slot, advanceTo);
    if (confirmed !== null) await logStandbySnapshot(control);
    const lag = await slotLag(control, input.slot);
    return {
      applied: applied.applied,
      transactions: applied.transactions,
      skipped: applied.skipped,
      lastLsn: formatLsn(applied.checkpoint),
      confirmedLsn: confirmed === null ? lag.confirmedFlushLsn : formatLsn(confirmed),
      lagBytes: lag.bytes,
      lastCommitTime: applied.transactions > 0 ? lastCommitTime : null,
    };
  } catch (err) {
    // Apply and slot errors are AppErrors already; what is left came from reading the source.
    throw classifyError(err, { subject: "the source database" });
  } finally {
    if (failed) await session?.abort();
    await close(failed);
    await control.close();
  }
}

/**
 * Yields batches while the next one is already being read: source FETCH and decode overlap the target
 * apply. At most two batches are held (the one applied, the one arriving).
 */
async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  let next = it.next();
  for (;;) {
    const current = await next;
    if (current.done) return;
    next = it.next();
    // Observed later by the await above; without this a failure during a failing apply would be unhandled.
    next.catch(() => {});
    yield current.value;
  }
}

function defaultReader(input: CdcStepInput) {
  const sql = openDedicated(input.source);
  return { reader: pollingReader(sql, input), close: (failed: boolean) => closeDedicated(sql, failed) };
}

/**
 * A slot's restart_lsn only moves at a running-transactions WAL record (written every 15 s or at a
 * checkpoint); until then every peek and advance decodes the WAL behind it again — measured: 230 MiB
 * re-decoded per round under load, and rounds twice as slow. Asking for the record after each advance
 * lets the next round start near the confirmed position. PostgreSQL 16+ and a privileged role only: where
 * it is refused, rounds are merely slower, so any error is ignored.
 */
async function logStandbySnapshot(control: ReturnType<typeof openPostgres>): Promise<void> {
  try {
    await control.query("SELECT pg_log_standby_snapshot() WHERE current_setting('server_version_num')::int >= 160000");
  } catch {
    // Not allowed for this role, or the function is missing: correctness does not depend on it.
  }
}
