import { PgOutputDecoder, PgOutputError, type ColumnValue, type Relation } from "./decode";
import { formatLsn, type Lsn } from "./lsn";

/**
 * Source transactions as the apply sees them: pgoutput messages grouped into pieces of transactions, in
 * commit order. The stream (stream.ts) takes whatever has arrived; a transaction still arriving leaves as
 * a non-final piece and continues in the next take, so memory is bounded by what one take holds.
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
  /** Changes in `pieces`. */
  changes: number;
}

/** Turns decoded pgoutput messages into transaction pieces, in commit order; pure. */
export class Grouper {
  private readonly decoder = new PgOutputDecoder();
  private open: TransactionPiece | null = null;
  private pieces: TransactionPiece[] = [];
  private changes = 0;

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
        // The open piece is in no batch yet (take() hands it out and goes on in a copy), so it may change.
        piece.final = true;
        piece.endLsn = m.endLsn;
        this.pieces.push(piece);
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

  /** Changes added since the last take (the open transaction's included): what is held in memory. */
  get size(): number {
    return this.changes;
  }

  /** Nothing held: no piece waiting and no transaction open. */
  get idle(): boolean {
    return this.pieces.length === 0 && this.open === null;
  }

  /** Source commit time (epoch ms) of the oldest transaction held; null when idle. */
  get oldestCommitTime(): number | null {
    return this.pieces[0]?.commitTime ?? this.open?.commitTime ?? null;
  }

  /**
   * The batch so far; an open transaction's changes leave as a non-final piece and it continues empty.
   * With `wholeTransactions`, an open transaction stays behind whenever complete ones are held, so the
   * batch ends at a commit and the target may commit after it (a stream catching up on many small
   * transactions would otherwise end nearly every batch inside one, and never reach a point to commit).
   */
  take(wholeTransactions = false): ChangeBatch {
    const keepOpen = wholeTransactions && this.pieces.length > 0;
    if (this.open && this.open.changes.length > 0 && !keepOpen) {
      this.pieces.push(this.open);
      this.open = { ...this.open, changes: [] };
    }
    const held = keepOpen && this.open ? this.open.changes.length : 0;
    const batch: ChangeBatch = { pieces: this.pieces, changes: this.changes - held };
    this.pieces = [];
    this.changes = held;
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
