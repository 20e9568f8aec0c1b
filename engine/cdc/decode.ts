import type { Lsn } from "./lsn";

/**
 * A pure decoder of pgoutput messages (protocol version 1, plus the version 2 stream messages), from the
 * bytes of one message as `pg_logical_slot_peek_binary_changes` or a CopyData 'w' frame carries them.
 * It keeps the relation cache: a Relation message always precedes the first change of its table in a
 * decoding session (pgoutput resends it in every new session and after every schema change), so a change
 * naming an unknown relation id is a protocol error, never something to guess around.
 */

/** A column value of a TupleData: 'n' → null, 't' → text, 'b' → bytes, 'u' → UNCHANGED_TOAST. */
export type ColumnValue = string | null | Uint8Array | typeof UNCHANGED_TOAST;

/**
 * An unchanged TOASTed value ('u'): the old value stays where it is and was NOT sent. It is not null and
 * not empty: applying it as a value would destroy data, so it has its own marker.
 */
export const UNCHANGED_TOAST: unique symbol = Symbol("unchanged TOAST value");

export interface RelationColumn {
  name: string;
  typeOid: number;
  typeMod: number;
  /** Part of the replica identity (all columns under REPLICA IDENTITY FULL). */
  isKey: boolean;
}

export interface Relation {
  id: number;
  schema: string;
  name: string;
  /** pg_class.relreplident: d default (primary key), n nothing, f full, i index. */
  replicaIdentity: "d" | "n" | "f" | "i";
  columns: RelationColumn[];
}

export type PgOutputMessage =
  | { tag: "begin"; finalLsn: Lsn; commitTime: bigint; xid: number }
  | { tag: "commit"; flags: number; commitLsn: Lsn; endLsn: Lsn; commitTime: bigint }
  | { tag: "origin"; originLsn: Lsn; name: string }
  | { tag: "relation"; xid?: number; relation: Relation }
  | { tag: "type"; xid?: number; oid: number; schema: string; name: string }
  | { tag: "insert"; xid?: number; relationId: number; new: ColumnValue[] }
  | {
      tag: "update";
      xid?: number;
      relationId: number;
      /** 'K': the old key (non-key columns null); 'O': the old row (REPLICA IDENTITY FULL); else absent. */
      old: { kind: "key" | "full"; values: ColumnValue[] } | null;
      new: ColumnValue[];
    }
  | { tag: "delete"; xid?: number; relationId: number; old: { kind: "key" | "full"; values: ColumnValue[] } }
  | { tag: "truncate"; xid?: number; cascade: boolean; restartIdentity: boolean; relationIds: number[] }
  | { tag: "message"; xid?: number; transactional: boolean; lsn: Lsn; prefix: string; content: Uint8Array }
  | { tag: "stream_start"; xid: number; firstSegment: boolean }
  | { tag: "stream_stop" }
  | { tag: "stream_commit"; xid: number; flags: number; commitLsn: Lsn; endLsn: Lsn; commitTime: bigint }
  | { tag: "stream_abort"; xid: number; subXid: number };

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * A cursor over one message's bytes; every read checks bounds (a short message is an error, not junk).
 * One cursor serves every message of a decoder (`reset`): nothing is allocated per message but the result.
 */
class Bytes {
  bytes: Uint8Array = new Uint8Array(0);
  offset = 0;
  reset(bytes: Uint8Array): this {
    // A plain view: slicing a Node Buffer makes a Buffer, several times dearer than a Uint8Array.
    this.bytes = bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.offset = 0;
    return this;
  }
  private need(n: number): number {
    const at = this.offset;
    if (at + n > this.bytes.length) throw new PgOutputError(`message ends early (need ${n} bytes at ${at})`);
    this.offset = at + n;
    return at;
  }
  u8(): number {
    return this.bytes[this.need(1)]!;
  }
  i16(): number {
    const o = this.need(2);
    const b = this.bytes;
    return ((b[o]! << 24) | (b[o + 1]! << 16)) >> 16;
  }
  u32(): number {
    return this.i32() >>> 0;
  }
  i32(): number {
    const o = this.need(4);
    const b = this.bytes;
    return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
  }
  u64(): bigint {
    const high = this.u32();
    return (BigInt(high) << 32n) | BigInt(this.u32());
  }
  i64(): bigint {
    return BigInt.asIntN(64, this.u64());
  }
  /** A NUL-terminated string. */
  cstring(): string {
    const end = this.bytes.indexOf(0, this.offset);
    if (end < 0) throw new PgOutputError(`unterminated string at ${this.offset}`);
    const s = utf8.decode(this.bytes.subarray(this.offset, end));
    this.offset = end + 1;
    return s;
  }
  take(n: number): Uint8Array {
    const o = this.need(n);
    return this.bytes.subarray(o, o + n);
  }
  /** n bytes of UTF-8 text. */
  text(n: number): string {
    const o = this.need(n);
    return utf8.decode(this.bytes.subarray(o, o + n));
  }
}

export class PgOutputError extends Error {
  override readonly name = "PgOutputError";
}

const IDENTITIES = new Set(["d", "n", "f", "i"]);

export class PgOutputDecoder {
  private readonly relations = new Map<number, Relation>();
  private readonly cursor = new Bytes();
  /** Between Stream Start and Stream Stop every change message carries its transaction's xid first. */
  private inStream = false;

  /** The relation a change message names; throws when no Relation message introduced it. */
  relation(id: number): Relation {
    const r = this.relations.get(id);
    if (!r) throw new PgOutputError(`change for relation ${id} before its Relation message`);
    return r;
  }

  decode(message: Uint8Array): PgOutputMessage {
    const b = this.cursor.reset(message);
    const tag = String.fromCharCode(b.u8());
    switch (tag) {
      case "B":
        return { tag: "begin", finalLsn: b.u64(), commitTime: b.i64(), xid: b.u32() };
      case "C":
        return { tag: "commit", flags: b.u8(), commitLsn: b.u64(), endLsn: b.u64(), commitTime: b.i64() };
      case "O":
        return { tag: "origin", originLsn: b.u64(), name: b.cstring() };
      case "R": {
        const xid = this.streamXid(b);
        const relation = readRelation(b);
        // A new object per message: changes already decoded keep the column list they were sent with.
        this.relations.set(relation.id, relation);
        return withXid({ tag: "relation", relation }, xid);
      }
      case "Y": {
        const xid = this.streamXid(b);
        return withXid({ tag: "type", oid: b.u32(), schema: b.cstring(), name: b.cstring() }, xid);
      }
      case "I": {
        const xid = this.streamXid(b);
        const relationId = b.u32();
        expectByte(b, "N");
        return withXid({ tag: "insert", relationId, new: readTuple(b) }, xid);
      }
      case "U": {
        const xid = this.streamXid(b);
        const relationId = b.u32();
        let kind = String.fromCharCode(b.u8());
        let old: { kind: "key" | "full"; values: ColumnValue[] } | null = null;
        if (kind === "K" || kind === "O") {
          old = { kind: kind === "K" ? "key" : "full", values: readTuple(b) };
          kind = String.fromCharCode(b.u8());
        }
        if (kind !== "N") throw new PgOutputError(`update: expected 'N', got ${JSON.stringify(kind)}`);
        return withXid({ tag: "update", relationId, old, new: readTuple(b) }, xid);
      }
      case "D": {
        const xid = this.streamXid(b);
        const relationId = b.u32();
        const kind = String.fromCharCode(b.u8());
        if (kind !== "K" && kind !== "O") throw new PgOutputError(`delete: expected 'K' or 'O', got ${JSON.stringify(kind)}`);
        return withXid({ tag: "delete", relationId, old: { kind: kind === "K" ? "key" : "full", values: readTuple(b) } }, xid);
      }
      case "T": {
        const xid = this.streamXid(b);
        const count = b.u32();
        const options = b.u8();
        const relationIds: number[] = [];
        for (let i = 0; i < count; i++) relationIds.push(b.u32());
        return withXid({ tag: "truncate", cascade: (options & 1) !== 0, restartIdentity: (options & 2) !== 0, relationIds }, xid);
      }
      case "M": {
        const xid = this.streamXid(b);
        const flags = b.u8();
        const lsn = b.u64();
        const prefix = b.cstring();
        const content = b.take(b.u32());
        return withXid({ tag: "message", transactional: (flags & 1) !== 0, lsn, prefix, content }, xid);
      }
      case "S": {
        this.inStream = true;
        return { tag: "stream_start", xid: b.u32(), firstSegment: b.u8() === 1 };
      }
      case "E":
        this.inStream = false;
        return { tag: "stream_stop" };
      case "c":
        return { tag: "stream_commit", xid: b.u32(), flags: b.u8(), commitLsn: b.u64(), endLsn: b.u64(), commitTime: b.i64() };
      case "A":
        // Protocol 4 adds the abort LSN and time after these; they are not needed to discard the changes.
        return { tag: "stream_abort", xid: b.u32(), subXid: b.u32() };
      default:
        throw new PgOutputError(`unsupported pgoutput message ${JSON.stringify(tag)} (protocol 3 two-phase messages are not requested)`);
    }
  }

  private streamXid(b: Bytes): number | undefined {
    return this.inStream ? b.u32() : undefined;
  }
}

function withXid<T extends object>(message: T, xid: number | undefined): T & { xid?: number } {
  return xid === undefined ? message : { ...message, xid };
}

function expectByte(b: Bytes, want: string): void {
  const got = String.fromCharCode(b.u8());
  if (got !== want) throw new PgOutputError(`expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
}

function readRelation(b: Bytes): Relation {
  const id = b.u32();
  const schema = b.cstring();
  const name = b.cstring();
  const identity = String.fromCharCode(b.u8());
  if (!IDENTITIES.has(identity)) throw new PgOutputError(`unknown replica identity ${JSON.stringify(identity)}`);
  const count = b.i16();
  const columns: RelationColumn[] = [];
  for (let i = 0; i < count; i++) {
    const flags = b.u8();
    columns.push({ isKey: (flags & 1) !== 0, name: b.cstring(), typeOid: b.u32(), typeMod: b.i32() });
  }
  return { id, schema, name, replicaIdentity: identity as Relation["replicaIdentity"], columns };
}

function readTuple(b: Bytes): ColumnValue[] {
  const count = b.i16();
  const values: ColumnValue[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const kind = b.u8();
    if (kind === 0x74 /* t */) values[i] = b.text(b.u32());
    else if (kind === 0x6e /* n */) values[i] = null;
    else if (kind === 0x75 /* u */) values[i] = UNCHANGED_TOAST;
    // Copied: the message buffer may be reused by a streaming reader.
    else if (kind === 0x62 /* b */) values[i] = b.take(b.u32()).slice();
    else throw new PgOutputError(`unknown TupleData kind ${JSON.stringify(String.fromCharCode(kind))}`);
  }
  return values;
}
