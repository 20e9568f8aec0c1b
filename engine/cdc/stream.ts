import { AppError } from "../errors/app-error";
import { classifyError, serverError } from "../errors/classify";
import { openPostgres } from "../db/postgres-js";
import type { Queryable } from "../db/queryable";
import { ApplyTarget, type ApplySession, type TableMapping } from "./apply";
import { formatLsn, maxLsn, type Lsn } from "./lsn";
import { Grouper } from "./read";
import { startReplication, type ReplicationOptions, type ReplicationStream } from "./replication";
import { slotError, slotMissing } from "./slot";
import { sourceTypeResolver } from "./schema-change";

/**
 * The long-lived change stream of a CDC task (docs/cdc.md): the slot streams over the replication
 * protocol, each message is decoded once as it arrives, and while one batch is applied on the target the
 * next one is being received and decoded. Changes are applied in target transactions that also move the
 * task's checkpoint (apply.ts); the slot is acknowledged only after such a COMMIT. Safe to kill at any
 * point and start again:
 *   killed before a target COMMIT → nothing applied, nothing acknowledged: the server sends it again;
 *   killed after a COMMIT, before its acknowledgement → the server sends those transactions again and the
 *     checkpoint skips them.
 */

export interface CdcStreamInput {
  /** postgres:// URLs. */
  source: string;
  target: string;
  slot: string;
  publication: string;
  taskId: string;
  mapping: readonly TableMapping[];
  /** Ends the stream: whatever is applied but not committed is rolled back (and sent again next time). */
  signal: AbortSignal;
  /**
   * The longest a change waits for its target COMMIT while more keep arriving (default 50 ms); once the
   * stream has caught up, the transaction commits at once. Bounds lag under load.
   */
  commitDelayMs?: number;
  /**
   * The least time between two acknowledgements to the server (default 250 ms). Acknowledging late only
   * keeps WAL a little longer and makes a restart skip a few more transactions by the checkpoint.
   */
  ackIntervalMs?: number;
  /**
   * Silence after which the stream is presumed dead and fails retryable `CDC_STREAM_STALLED` (default
   * 60 s; a third of it without a frame makes this side ask the server for a keepalive). A connection
   * whose peer vanished without a reset would otherwise hold the job forever while the runner keeps
   * reporting progress.
   */
  receiveTimeoutMs?: number;
  /**
   * Decoded changes held before the socket is paused (default 10 000): the memory bound, and the read-ahead
   * that overlaps receiving with applying. Measured on 250k updates of ~370-byte rows: 20 000 → 328 MiB
   * runner RSS, 5 000 → 196 MiB at the same rate; but 5 000 slowed a pgbench catch-up by a third.
   */
  maxPendingChanges?: number;
  /** Updated in place after every COMMIT and on every frame: what the runner reports. */
  stats?: CdcStreamStats;
}

export interface CdcStreamStats {
  /** Both connections are open and the slot is streaming. */
  connected: boolean;
  /** Row changes applied (committed) since the stream started; skipped ones excluded. */
  changes: number;
  transactions: number;
  /** Transactions sent again after a restart and skipped by the checkpoint. */
  skipped: number;
  /** The checkpoint: commit LSN of the last applied transaction, `X/Y`; null before the first. */
  appliedLsn: string | null;
  /** How far the stream has received WAL (the last message's start, or the last keepalive's end). */
  receivedLsn: string | null;
  /** WAL the slot holds back: the server's WAL end minus the acknowledged position. */
  lagBytes: number;
  /** Seconds since the source commit of the oldest change received but not yet committed; 0 when none. */
  lagSeconds: number;
  /** Most decoded changes held at once, waiting to be applied (bounded by maxPendingChanges + one frame). */
  peakPendingChanges: number;
}

export function emptyStreamStats(): CdcStreamStats {
  return { connected: false, changes: 0, transactions: 0, skipped: 0, appliedLsn: null, receivedLsn: null, lagBytes: 0, lagSeconds: 0, peakPendingChanges: 0 };
}

const IDLE_TICK_MS = 1000;

/**
 * Per task, the LSN through which source transactions are applied in order, unfolded (ApplyOptions
 * orderedThrough): set when a folded batch broke a secondary UNIQUE constraint. Held in the runner's
 * memory across attempts of a task's stream; a restarted runner learns it again from one failed attempt.
 */
const orderedThrough = new Map<string, Lsn>();

/** 23505 unique_violation. */
const UNIQUE_VIOLATION = "23505";

/**
 * Runs until `signal` aborts (resolves) or something fails (rejects with a classified AppError; the
 * caller restarts it later). Memory: at most `maxPendingChanges` decoded changes plus one applied batch.
 */
export async function runCdcStream(input: CdcStreamInput): Promise<void> {
  const commitDelayMs = input.commitDelayMs ?? 50;
  const maxPending = input.maxPendingChanges ?? 10_000;
  const ackIntervalMs = input.ackIntervalMs ?? 250;
  const receiveTimeoutMs = input.receiveTimeoutMs ?? 60_000;
  const stats = input.stats ?? emptyStreamStats();
  const grouper = new Grouper();
  const control = openPostgres(input.source, { max: 1 });
  let target: ApplyTarget | undefined;
  let stream: ReplicationStream | undefined;
  let session: ApplySession | null = null;
  let sessionSince = 0;
  /** Commit-record ends of the transactions applied in the open session: acknowledged after its COMMIT. */
  let sessionThrough: Lsn | null = null;
  let acknowledged = 0n;
  let serverEnd = 0n;
  let received = 0n;
  /** The last keepalive's WAL end: every transaction committed before it has been received. */
  let keepaliveEnd: Lsn | null = null;
  let sentAck = 0n;
  /** The stream's start counts as an acknowledgement: the first real one waits ackIntervalMs too. */
  let sentAt = Date.now();
  let heardAt = Date.now();
  let pingedAt = 0;
  let paused = false;
  /** A frame that could not be decoded: the stream is unusable, the loop throws it. */
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const aborted = new Promise<void>((resolve) => {
    if (input.signal.aborted) resolve();
    input.signal.addEventListener("abort", () => resolve(), { once: true });
  });

  /** Source commit time of the oldest transaction in the open session. */
  let sessionOldest: number | null = null;
  const refreshLag = () => {
    if (received > 0n) stats.receivedLsn = formatLsn(received);
    stats.lagBytes = Number(serverEnd > acknowledged ? serverEnd - acknowledged : 0n);
    const oldest = session ? sessionOldest : grouper.oldestCommitTime;
    stats.lagSeconds = oldest === null ? 0 : Math.max(0, (Date.now() - oldest) / 1000);
  };

  try {
    target = await ApplyTarget.connect(input.target, {
      taskId: input.taskId,
      mapping: input.mapping,
      resolveType: sourceTypeResolver(control),
      orderedThrough: orderedThrough.get(input.taskId),
    });
    stream = await openStream(control, {
      url: input.source,
      slot: input.slot,
      publication: input.publication,
      onFrame(frame) {
        if (failure) return;
        heardAt = Date.now();
        serverEnd = maxLsn(serverEnd, frame.walEnd);
        received = maxLsn(received, frame.kind === "data" ? frame.walStart : frame.walEnd);
        try {
          if (frame.kind === "data") grouper.add(frame.message);
          else keepaliveEnd = frame.walEnd;
        } catch (err) {
          failure = err;
        }
        if (grouper.size > stats.peakPendingChanges) stats.peakPendingChanges = grouper.size;
        if ((failure || grouper.size >= maxPending) && !paused) {
          paused = true;
          stream?.pause();
        }
        notify();
      },
    });
    const ended = stream.ended;
    stats.connected = true;
    for (;;) {
      if (input.signal.aborted) return;
      if (failure) throw failure;
      if (grouper.size === 0 && !(grouper.idle && session && !session.insideTransaction)) {
        // Nothing to apply and no COMMIT due now: wait for a frame, the commit deadline, or the idle tick.
        // Inside a source transaction no COMMIT can be due: only its next frames matter.
        const commitDue = session && !session.insideTransaction;
        const wait = commitDue ? Math.max(0, sessionSince + commitDelayMs - Date.now()) : Math.min(IDLE_TICK_MS, receiveTimeoutMs / 3);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => {
            wake = resolve;
            timer = setTimeout(resolve, wait);
          }),
          aborted,
          ended,
        ]);
        clearTimeout(timer);
        wake = null;
        if (input.signal.aborted) return;
        if (failure) throw failure;
      }
      // Once a COMMIT is due, batches end at a source commit so the target transaction can end there.
      const batch = grouper.take(session !== null && Date.now() - sessionSince >= commitDelayMs);
      if (paused && grouper.size < maxPending / 2) {
        paused = false;
        heardAt = Date.now();
        stream.resume();
      }
      if (!session && batch.pieces.every((p) => p.final && p.changes.length === 0)) {
        // Transactions with nothing for us (pgoutput before PostgreSQL 15 sends them): no target work.
        for (const piece of batch.pieces) if (piece.endLsn !== undefined) acknowledged = maxLsn(acknowledged, piece.endLsn);
      } else if (batch.pieces.length > 0) {
        if (!session) {
          session = await target.begin();
          sessionSince = Date.now();
          sessionOldest = batch.pieces[0]!.commitTime;
        }
        await session.apply(batch.pieces);
        for (const piece of batch.pieces) if (piece.final && piece.endLsn !== undefined) sessionThrough = maxLsn(sessionThrough ?? 0n, piece.endLsn);
      }
      const caughtUp = grouper.idle;
      if (session && !session.insideTransaction && (caughtUp || Date.now() - sessionSince >= commitDelayMs)) {
        const result = await session.commit();
        session = null;
        sessionOldest = null;
        stats.changes += result.applied;
        stats.transactions += result.transactions;
        stats.skipped += result.skipped;
        if (result.transactions > 0) stats.appliedLsn = formatLsn(result.checkpoint);
        if (sessionThrough !== null) acknowledged = maxLsn(acknowledged, sessionThrough);
        sessionThrough = null;
      }
      // Nothing held and nothing uncommitted: all received before the last keepalive is durable, so the
      // slot may move past it (WAL of other tables and databases would otherwise stay held).
      if (!session && grouper.idle && keepaliveEnd !== null) acknowledged = maxLsn(acknowledged, keepaliveEnd);
      if (!session && acknowledged > sentAck && Date.now() - sentAt >= ackIntervalMs) {
        stream.acknowledge(acknowledged);
        sentAck = acknowledged;
        sentAt = Date.now();
      }
      refreshLag();
      // While paused by this side, silence is expected: the socket is not being read.
      const silent = paused ? 0 : Date.now() - heardAt;
      if (silent > receiveTimeoutMs) {
        throw new AppError("CDC_STREAM_STALLED", `The source sent nothing on the replication stream for ${Math.round(silent / 1000)} s.`, { status: 504, retryable: true });
      }
      if (silent > receiveTimeoutMs / 3 && Date.now() - pingedAt > receiveTimeoutMs / 3) {
        stream.ping();
        pingedAt = Date.now();
      }
    }
  } catch (err) {
    // Only a session that folded changes can have broken a constraint the source kept, in one of the
    // transactions it was handed: those are replayed in source order (the ones after them folded again).
    if (serverError(err)?.sqlstate === UNIQUE_VIOLATION && session?.folded) {
      orderedThrough.set(input.taskId, session.through);
      throw new AppError(
        "CDC_UNIQUE_REORDER",
        `A batch of changes broke a unique constraint on the target once folded; the stream restarts and applies the transactions through ${formatLsn(session.through)} in source order.`,
        { status: 409, retryable: true, cause: err },
      );
    }
    throw classifyError(err, { subject: "the source database" });
  } finally {
    stats.connected = false;
    await session?.abort();
    await target?.close(true);
    await stream?.close();
    await control.close();
  }
}

const TAKEOVER_ATTEMPTS = 30;

/**
 * Starts streaming. A slot serves one stream at a time: while a stream of an earlier attempt still holds
 * it (its runner died and the server has not noticed yet, or it was superseded and has not stopped yet),
 * that walsender is ended — the coordinator wants only the newest attempt, and two apply sessions of a
 * task serialize on the checkpoint row anyway.
 */
async function openStream(control: Queryable, options: ReplicationOptions): Promise<ReplicationStream> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startReplication(options);
    } catch (err) {
      const sqlstate = serverError(err)?.sqlstate;
      // 42704 undefined_object: the slot is gone (dropped by hand, or the run ended meanwhile).
      if (sqlstate === "42704") throw slotMissing(options.slot);
      if (sqlstate !== "55006") throw slotError(err, "the replication slot");
      if (attempt >= TAKEOVER_ATTEMPTS) {
        throw new AppError("SLOT_IN_USE", `The replication slot ${options.slot} is held by another connection.`, { status: 409, retryable: true, cause: err });
      }
      await control
        .query(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL`, [options.slot])
        // Not allowed to end it: wait for the server to notice the dead connection instead.
        .catch(() => {});
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
