import type postgres from "postgres";
import { quoteLiteral } from "../ddl/quote";
import { PgOutputDecoder, PgOutputError, type ColumnValue, type Relation } from "./decode";
import { formatLsn, maxLsn, parseLsn, type Lsn } from "./lsn";

/**
 * Reading source transactions from the task's slot, in commit order, in pieces of bounded size. The
 * reader never moves the slot: peeking is repeatable, and only the caller, after the target COMMIT that
 * made the changes durable, advances the slot (slot.ts advanceSlot).
 */

/** Old values of an update or delete: `key` ('K', non-key columns null) or the `full` old row ('O'). */
export interface OldValues {
  kind: "key" | "full";
  values: ColumnValue[];
}

/** One row change, with the relation (column names, types, key flags) it was sent with. */
export type Change =
  | { kind: "insert"; relation: Relation; new: ColumnValue[] }
  | { kind: "update"; relation: Relation; old: OldValues | null; new: ColumnValue[] }
  | { kind: "delete"; relation: Relation; old: OldValues }
  | { kind: "truncate"; relations: Relation[]; cascade: boolean; restartIdentity: boolean };

/**
 * A part of one source transaction. Every piece carries the transaction's commit LSN (pgoutput's Begin
 * message names it), which orders and identifies the transaction; `final` marks the piece that ends
 * with the transaction's Commit. A transaction larger than a batch arrives as several pieces in a row.
 */
export interface TransactionPiece {
  xid: number;
  commitLsn: Lsn;
  /** The source commit time (from Begin), epoch milliseconds: what lag in seconds is measured from. */
  commitTime: number;
  changes: Change[];
  final: boolean;
  /** On the final piece: the end of the commit record (where a subscriber reports progress). */
  endLsn?: Lsn;
}

export interface ChangeBatch {
  pieces: TransactionPiece[];
  /** Changes in `pieces`; never more than the read's batchSize. */
  changes: number;
  /**
   * Once this batch and every batch before it are durably applied on the target, the slot may be
   * advanced to this LSN; null when no transaction has ended yet in this read.
   */
  advanceTo: Lsn | null;
  /** The read's last batch (it may be empty). */
  last: boolean;
}

export interface ReadOptions {
  /**
   * Stop at the first transaction boundary after this many messages (as PostgreSQL's upto_nchanges: a
   * transaction is never cut, so one large transaction may exceed it). Bounds the work of one read.
   */
  maxChanges: number;
  /** Most changes per yielded batch: what bounds the reader's memory. */
  batchSize: number;
}

/**
 * What the CDC loop needs from a reader; the SQL-polling reader below is one, a reader over the streaming
 * replication protocol (faster: no materialization on the server, no re-reading) can replace it.
 */
export interface ChangeReader {
  /**
   * One pass over the changes after the slot's confirmed position, in commit order. A pass always ends at
   * a transaction boundary. If iteration stops early or throws, the reader's connection is left mid-read
   * and must be destroyed, never reused.
   */
  read(options: ReadOptions): AsyncIterable<ChangeBatch>;
}

export interface SlotRef {
  slot: string;
  publication: string;
}

/**
 * A reader polling `pg_logical_slot_peek_binary_changes` through a cursor, on `sql`: a client with
 * exactly ONE connection (copy/dedicated-connection.ts openDedicated), opened with the session settings of
 * plan/session.ts: pgoutput renders values as text in this session, so DateStyle, TimeZone,
 * extra_float_digits and bytea_output decide the text the target parses.
 *
 * Memory: the server materializes the pass (spilling to disk beyond work_mem); the client FETCHes
 * batchSize rows at a time and holds only the batch being yielded.
 */
export function pollingReader(sql: postgres.Sql, ref: SlotRef): ChangeReader {
  return {
    read: (options) => readPass(sql, ref, options),
  };
}

const CURSOR = "dtaas_changes";

async function* readPass(sql: postgres.Sql, ref: SlotRef, options: ReadOptions): AsyncGenerator<ChangeBatch> {
  const { maxChanges, batchSize } = options;
  if (!(maxChanges >= 1 && batchSize >= 1)) throw new Error("maxChanges and batchSize must be positive");
  // The upper bound of this pass: WAL flushed now. Decoding reads no further anyway (GetFlushRecPtr).
  const [{ flush }] = (await sql.unsafe(`SELECT pg_current_wal_flush_lsn()::text AS flush`)) as unknown as [{ flush: string }];
  const upto = parseLsn(flush);
  await sql.unsafe(
    `BEGIN;
     DECLARE ${CURSOR} NO SCROLL CURSOR FOR
       SELECT data FROM pg_logical_slot_peek_binary_changes(${quoteLiteral(ref.slot)}, ${quoteLiteral(flush)}::pg_lsn, ${Math.floor(maxChanges)},
         'proto_version', '1', 'publication_names', ${quoteLiteral(ref.publication)})`,
  );
  const grouper = new Grouper();
  let messages = 0;
  for (;;) {
    const rows = (await sql.unsafe(`FETCH ${Math.floor(batchSize)} FROM ${CURSOR}`)) as unknown as { data: Uint8Array }[];
    messages += rows.length;
    for (const row of rows) grouper.add(row.data);
    const done = rows.length < batchSize;
    if (done) {
      await sql.unsafe(`CLOSE ${CURSOR}; COMMIT`);
      grouper.finish();
      // Not cut short by maxChanges: every transaction committed before `upto` was in this pass, so the
      // slot may skip to `upto` even if nothing of ours changed (keeps an idle slot from holding WAL).
      if (messages < maxChanges) grouper.reached(upto);
    }
    const batch = grouper.take(done);
    // An empty final piece still matters: it completes its transaction.
    if (batch.pieces.length > 0 || batch.last) yield batch;
    if (done) return;
  }
}

/** Turns decoded messages into transaction pieces; pure (exported for the streaming reader and tests). */
export class Grouper {
  private readonly decoder = new PgOutputDecoder();
  private open: TransactionPiece | null = null;
  private pieces: TransactionPiece[] = [];
  private changes = 0;
  private advanceTo: Lsn | null = null;

  add(message: Uint8Array): void {
    const m = this.decoder.decode(message);
    switch (m.tag) {
      case "begin":
        if (this.open) throw new PgOutputError(`Begin of xid ${m.xid} inside xid ${this.open.xid}`);
        this.open = { xid: m.xid, commitLsn: m.finalLsn, commitTime: pgEpochMs(m.commitTime), changes: [], final: false };
        return;
      case "commit": {
        const piece = this.current("Commit");
        if (piece.commitLsn !== m.commitLsn) {
          throw new PgOutputError(`Commit at ${formatLsn(m.commitLsn)} ends the transaction begun for ${formatLsn(piece.commitLsn)}`);
        }
        this.pieces.push({ ...piece, final: true, endLsn: m.endLsn });
        this.advanceTo = this.advanceTo === null ? m.endLsn : maxLsn(this.advanceTo, m.endLsn);
        this.open = null;
        return;
      }
      case "insert":
        return this.push({ kind: "insert", relation: this.decoder.relation(m.relationId), new: m.new });
      case "update":
        return this.push({ kind: "update", relation: this.decoder.relation(m.relationId), old: m.old, new: m.new });
      case "delete":
        return this.push({ kind: "delete", relation: this.decoder.relation(m.relationId), old: m.old });
      case "truncate":
        return this.push({
          kind: "truncate",
          relations: m.relationIds.map((id) => this.decoder.relation(id)),
          cascade: m.cascade,
          restartIdentity: m.restartIdentity,
        });
      case "relation": // cached by the decoder; changes carry it
      case "type": // type names are resolved on the source by OID (schema-change.ts)
      case "origin":
      case "message":
        return;
      default:
        throw new PgOutputError(`unexpected ${m.tag} message (streaming was not requested)`);
    }
  }

  /** A pass ended: it must end at a transaction boundary. */
  finish(): void {
    if (this.open) throw new PgOutputError(`the changes ended inside transaction ${this.open.xid}`);
  }

  /** Everything committed before `lsn` has been added. */
  reached(lsn: Lsn): void {
    this.advanceTo = this.advanceTo === null ? lsn : maxLsn(this.advanceTo, lsn);
  }

  /** The batch so far; an open transaction's changes leave as a non-final piece and it continues empty. */
  take(last: boolean): ChangeBatch {
    if (this.open && this.open.changes.length > 0) {
      this.pieces.push(this.open);
      this.open = { ...this.open, changes: [] };
    }
    const batch: ChangeBatch = { pieces: this.pieces, changes: this.changes, advanceTo: this.advanceTo, last };
    this.pieces = [];
    this.changes = 0;
    return batch;
  }

  private current(what: string): TransactionPiece {
    if (!this.open) throw new PgOutputError(`${what} outside a transaction`);
    return this.open;
  }

  private push(change: Change): void {
    this.current(change.kind).changes.push(change);
    this.changes++;
  }
}

/** PostgreSQL timestamps count microseconds from 2000-01-01 UTC. */
const PG_EPOCH_MS = 946_684_800_000;

function pgEpochMs(micros: bigint): number {
  return PG_EPOCH_MS + Number(micros / 1000n);
}
