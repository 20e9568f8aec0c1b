import { describe, expect, it } from "vitest";
import { PgOutputDecoder, PgOutputError, UNCHANGED_TOAST } from "./decode";

/** Builds pgoutput messages byte by byte, as the server writes them (network byte order). */
class Msg {
  private parts: number[] = [];
  byte(c: string | number) {
    this.parts.push(typeof c === "string" ? c.charCodeAt(0) : c);
    return this;
  }
  i16(v: number) {
    this.parts.push((v >> 8) & 0xff, v & 0xff);
    return this;
  }
  i32(v: number) {
    for (let s = 24; s >= 0; s -= 8) this.parts.push((v >>> s) & 0xff);
    return this;
  }
  i64(v: bigint) {
    for (let s = 56n; s >= 0n; s -= 8n) this.parts.push(Number((BigInt.asUintN(64, v) >> s) & 0xffn));
    return this;
  }
  str(s: string) {
    this.parts.push(...new TextEncoder().encode(s), 0);
    return this;
  }
  text(s: string) {
    const bytes = new TextEncoder().encode(s);
    this.byte("t").i32(bytes.length);
    this.parts.push(...bytes);
    return this;
  }
  raw(bytes: number[]) {
    this.byte("b").i32(bytes.length);
    this.parts.push(...bytes);
    return this;
  }
  get bytes() {
    return Uint8Array.from(this.parts);
  }
}

const relation = () =>
  new Msg().byte("R").i32(16384).str("public").str("t ü").byte("d").i16(3)
    .byte(1).str("id").i32(23).i32(-1)
    .byte(0).str("body").i32(25).i32(-1)
    .byte(0).str("n").i32(1700).i32(786438);

describe("PgOutputDecoder", () => {
  it("decodes Begin, Commit and Origin", () => {
    const d = new PgOutputDecoder();
    expect(d.decode(new Msg().byte("B").i64(0x16b374d848n).i64(7n).i32(0xfffffff0).bytes)).toEqual({
      tag: "begin", finalLsn: 0x16b374d848n, commitTime: 7n, xid: 0xfffffff0,
    });
    expect(d.decode(new Msg().byte("C").byte(0).i64(10n).i64(20n).i64(-1n).bytes)).toEqual({
      tag: "commit", flags: 0, commitLsn: 10n, endLsn: 20n, commitTime: -1n,
    });
    expect(d.decode(new Msg().byte("O").i64(5n).str("pg_16390").bytes)).toEqual({ tag: "origin", originLsn: 5n, name: "pg_16390" });
  });

  it("decodes a Relation and keeps it in the cache", () => {
    const d = new PgOutputDecoder();
    expect(() => d.relation(16384)).toThrow(PgOutputError);
    const m = d.decode(relation().bytes);
    const want = {
      id: 16384, schema: "public", name: "t ü", replicaIdentity: "d",
      columns: [
        { isKey: true, name: "id", typeOid: 23, typeMod: -1 },
        { isKey: false, name: "body", typeOid: 25, typeMod: -1 },
        { isKey: false, name: "n", typeOid: 1700, typeMod: 786438 },
      ],
    };
    expect(m).toEqual({ tag: "relation", relation: want });
    expect(d.relation(16384)).toEqual(want);
  });

  it("decodes TupleData kinds, keeping unchanged TOAST distinct from null", () => {
    const d = new PgOutputDecoder();
    d.decode(relation().bytes);
    const ins = new Msg().byte("I").i32(16384).byte("N").i16(3).text("1").byte("n").raw([0, 255]).bytes;
    expect(d.decode(ins)).toEqual({ tag: "insert", relationId: 16384, new: ["1", null, Uint8Array.from([0, 255])] });
    const upd = new Msg().byte("U").i32(16384).byte("N").i16(3).text("1").byte("u").text("").bytes;
    const decoded = d.decode(upd);
    expect(decoded).toEqual({ tag: "update", relationId: 16384, old: null, new: ["1", UNCHANGED_TOAST, ""] });
    expect(decoded.tag === "update" && decoded.new[1]).toBe(UNCHANGED_TOAST);
  });

  it("decodes Update with an old key or old row, and Delete", () => {
    const d = new PgOutputDecoder();
    const k = new Msg().byte("U").i32(1).byte("K").i16(2).text("1").byte("n").byte("N").i16(2).text("2").text("x").bytes;
    expect(d.decode(k)).toEqual({ tag: "update", relationId: 1, old: { kind: "key", values: ["1", null] }, new: ["2", "x"] });
    const o = new Msg().byte("U").i32(1).byte("O").i16(2).text("1").text("a").byte("N").i16(2).text("1").text("b").bytes;
    expect(d.decode(o)).toEqual({ tag: "update", relationId: 1, old: { kind: "full", values: ["1", "a"] }, new: ["1", "b"] });
    const del = new Msg().byte("D").i32(1).byte("K").i16(2).text("é").byte("n").bytes;
    expect(d.decode(del)).toEqual({ tag: "delete", relationId: 1, old: { kind: "key", values: ["é", null] } });
  });

  it("decodes Truncate flags and relation ids, Type and Message", () => {
    const d = new PgOutputDecoder();
    expect(d.decode(new Msg().byte("T").i32(2).byte(3).i32(10).i32(11).bytes)).toEqual({
      tag: "truncate", cascade: true, restartIdentity: true, relationIds: [10, 11],
    });
    expect(d.decode(new Msg().byte("T").i32(1).byte(2).i32(10).bytes)).toMatchObject({ cascade: false, restartIdentity: true });
    expect(d.decode(new Msg().byte("Y").i32(70000).str("s").str("mood").bytes)).toEqual({ tag: "type", oid: 70000, schema: "s", name: "mood" });
    const m = d.decode(new Msg().byte("M").byte(1).i64(99n).str("pfx").i32(2).byte(104).byte(105).bytes);
    expect(m).toEqual({ tag: "message", transactional: true, lsn: 99n, prefix: "pfx", content: Uint8Array.from([104, 105]) });
  });

  it("reads the xid of changes inside a stream block (protocol 2)", () => {
    const d = new PgOutputDecoder();
    expect(d.decode(new Msg().byte("S").i32(900).byte(1).bytes)).toEqual({ tag: "stream_start", xid: 900, firstSegment: true });
    expect(d.decode(new Msg().byte("I").i32(900).i32(1).byte("N").i16(1).text("7").bytes)).toEqual({
      tag: "insert", xid: 900, relationId: 1, new: ["7"],
    });
    expect(d.decode(new Msg().byte("E").bytes)).toEqual({ tag: "stream_stop" });
    expect(d.decode(new Msg().byte("I").i32(1).byte("N").i16(1).text("8").bytes)).toEqual({ tag: "insert", relationId: 1, new: ["8"] });
    expect(d.decode(new Msg().byte("c").i32(900).byte(0).i64(30n).i64(40n).i64(1n).bytes)).toEqual({
      tag: "stream_commit", xid: 900, flags: 0, commitLsn: 30n, endLsn: 40n, commitTime: 1n,
    });
    expect(d.decode(new Msg().byte("A").i32(900).i32(901).bytes)).toEqual({ tag: "stream_abort", xid: 900, subXid: 901 });
  });

  it("refuses short, unknown or malformed messages", () => {
    const d = new PgOutputDecoder();
    expect(() => d.decode(new Msg().byte("B").i64(1n).bytes)).toThrow(/ends early/);
    expect(() => d.decode(new Msg().byte("Z").bytes)).toThrow(/unsupported/);
    expect(() => d.decode(new Msg().byte("I").i32(1).byte("X").bytes)).toThrow(/expected "N"/);
    expect(() => d.decode(new Msg().byte("I").i32(1).byte("N").i16(1).byte("q").bytes)).toThrow(/TupleData/);
    expect(() => d.decode(new Msg().byte("D").i32(1).byte("N").bytes)).toThrow(/'K' or 'O'/);
    expect(() => d.decode(new Msg().byte("O").i64(1n).byte(65).bytes)).toThrow(/unterminated/);
  });
});
