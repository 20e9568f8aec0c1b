import { describe, expect, it } from "vitest";
import { textArrayLiteral } from "./apply-sql";
import { TableBatch } from "./collapse";
import { UNCHANGED_TOAST, type ColumnValue, type Relation } from "./decode";

const rel: Relation = {
  id: 1, schema: "public", name: "t", replicaIdentity: "d",
  columns: [
    { name: "id", typeOid: 23, typeMod: -1, isKey: true },
    { name: "a", typeOid: 25, typeMod: -1, isKey: false },
    { name: "big", typeOid: 25, typeMod: -1, isKey: false },
  ],
};
const ins = (...v: ColumnValue[]) => ({ kind: "insert" as const, relation: rel, new: v });
const upd = (v: ColumnValue[], oldKey?: string) => ({
  kind: "update" as const, relation: rel, new: v, old: oldKey === undefined ? null : { kind: "key" as const, values: [oldKey, null, null] },
});
const del = (k: string) => ({ kind: "delete" as const, relation: rel, old: { kind: "key" as const, values: [k, null, null] } });
const U: typeof UNCHANGED_TOAST = UNCHANGED_TOAST;

describe("TableBatch folding", () => {
  it("keeps the last write per key", () => {
    const b = new TableBatch([0]);
    expect(b.add(ins("1", "x", "B"))).toBe(true);
    expect(b.add(upd(["1", "y", U]))).toBe(true);
    expect(b.add(ins("2", "x", "C"))).toBe(true);
    expect(b.add(del("2"))).toBe(true);
    expect(b.add(upd(["3", "z", U]))).toBe(true);
    expect(b.add(upd(["3", U, "D"]))).toBe(true);
    expect(b.take()).toEqual({ upserts: [["1", "y", "B"]], deletes: [["2"]], updates: [["3", "z", "D"]] });
    expect(b.size).toBe(0);
  });

  it("turns delete then insert into an upsert, and insert then delete into a delete", () => {
    const b = new TableBatch([0]);
    b.add(del("1"));
    b.add(ins("1", "new", null));
    b.add(ins("2", "gone", null));
    b.add(del("2"));
    expect(b.take()).toEqual({ upserts: [["1", "new", null]], deletes: [["2"]], updates: [] });
  });

  it("moves a fully sent row whose key changed, and refuses to fold a key change with unchanged TOAST", () => {
    const b = new TableBatch([0]);
    b.add(ins("1", "x", "B"));
    expect(b.add(upd(["5", "x", "B"], "1"))).toBe(true);
    expect(b.take()).toEqual({ upserts: [["5", "x", "B"]], deletes: [["1"]], updates: [] });
    expect(b.add(upd(["6", "x", U], "5"))).toBe(false);
    b.add(del("7"));
    expect(b.add(upd(["7", "x", U]))).toBe(false);
  });

  it("folds composite keys independently of each other", () => {
    const b = new TableBatch([1, 0]);
    b.add(ins("1", "a", null));
    b.add(ins("1", "b", null));
    b.add({ kind: "delete", relation: rel, old: { kind: "full", values: ["1", "a", null] } });
    expect(b.take()).toEqual({ upserts: [["1", "b", null]], deletes: [["a", "1"]], updates: [] });
  });

  it("refuses an old key without the target's key columns", () => {
    const b = new TableBatch([1]);
    expect(() => b.add(del("1"))).toThrow(/replica identity/);
  });
});

describe("textArrayLiteral", () => {
  it("quotes every element and escapes quotes and backslashes", () => {
    expect(textArrayLiteral(["a", null, "NULL", 'q"uo\\te', "", "{x,y}"])).toBe('{"a",NULL,"NULL","q\\"uo\\\\te","","{x,y}"}');
    expect(textArrayLiteral([])).toBe("{}");
  });
});
