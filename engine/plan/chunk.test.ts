import { describe, expect, it } from "vitest";
import type { TableInfo } from "../catalog/types";
import { chunkKey, forMode } from "./chunk";

const table = (primaryKey: string[], uniqueKey?: string[]): TableInfo => ({
  schema: "public",
  name: "t",
  columns: [],
  primaryKey,
  ...(uniqueKey ? { uniqueKey } : {}),
  estimatedRows: 0,
  sizeBytes: 0,
});

describe("chunk keys", () => {
  it("chunk by the primary key, else by a unique key, else not at all", () => {
    expect(chunkKey(table(["id"], ["code"]))).toEqual(["id"]);
    expect(chunkKey(table([], ["n", "code"]))).toEqual(["n", "code"]);
    expect(chunkKey(table([]))).toEqual([]);
  });

  it("use a unique key only in a plain full load", () => {
    const unique = table([], ["code"]);
    expect(chunkKey(forMode(unique, "full_load"))).toEqual(["code"]);
    expect(forMode(unique, "full_load_and_cdc")).toEqual(table([]));
    expect(forMode(unique, "cdc")).toEqual(table([]));
    const keyed = table(["id"]);
    expect(forMode(keyed, "cdc")).toBe(keyed);
  });
});
