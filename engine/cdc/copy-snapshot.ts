import { parseLsn, type Lsn } from "./lsn";

/**
 * What a table's copy saw of the source, for replaying changes after the load without applying twice
 * what the copy already holds: the copy's snapshot (txid_current_snapshot(): xmin, xmax and the
 * transactions in progress, 64-bit as text) and the WAL insert position read right after it (`lsn`).
 * Persisted in job outcomes: do not rename fields.
 */
export interface CopySnapshot {
  xmin: string;
  xmax: string;
  xip: string[];
  lsn: string;
}

/** Parses txid_current_snapshot()'s text, `xmin:xmax:xip1,xip2,…`. */
export function parseTxidSnapshot(text: string, lsn: string): CopySnapshot {
  const match = /^(\d+):(\d+):([\d,]*)$/.exec(text);
  if (!match) throw new Error(`not a txid snapshot: ${JSON.stringify(text)}`);
  return { xmin: match[1]!, xmax: match[2]!, xip: match[3] ? match[3].split(",") : [], lsn };
}

const xid32 = (txid: string) => Number(BigInt(txid) & 0xffffffffn);
/** `a` is older than `b` in PostgreSQL's circular 32-bit xid order (TransactionIdPrecedes). */
const precedes = (a: number, b: number) => ((a - b) | 0) < 0;

/** A CopySnapshot prepared for one question per replayed change. */
export class CopiedBefore {
  private readonly lsn: Lsn;
  private readonly xmin: number;
  private readonly xmax: number;
  private readonly inProgress: Set<number>;

  constructor(snapshot: CopySnapshot) {
    this.lsn = parseLsn(snapshot.lsn);
    this.xmin = xid32(snapshot.xmin);
    this.xmax = xid32(snapshot.xmax);
    this.inProgress = new Set(snapshot.xip.map(xid32));
  }

  /**
   * Whether the copy already holds the effects of the source transaction `xid` (pgoutput's 32-bit xid)
   * that committed at `commitLsn`: it committed before the snapshot was taken, i.e. it precedes xmin, or
   * precedes xmax and was not in progress. Such a transaction committed before `lsn` was read, so nothing
   * committed later is ever taken for one; that bound also keeps the 32-bit comparison clear of xid
   * wraparound, since every transaction it judges is close to the snapshot's own.
   */
  saw(xid: number, commitLsn: Lsn): boolean {
    if (commitLsn > this.lsn) return false;
    if (precedes(xid, this.xmin)) return true;
    return precedes(xid, this.xmax) && !this.inProgress.has(xid);
  }
}
