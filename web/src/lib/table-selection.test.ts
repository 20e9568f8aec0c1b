import { describe, expect, it } from "vitest";
import { parsePattern, selectTables } from "../../../engine/catalog/select";
import { buildSelection, exactPattern, groupBySchema, fromKey, parseGlobList, patternPart, tableKey } from "./table-selection";
import { previewSelection } from "./table-preview";

describe("table selection", () => {
  it("leaves plain names bare and quotes names with pattern characters", () => {
    expect(patternPart("orders")).toBe("orders");
    expect(patternPart("Order Items")).toBe("Order Items");
    expect(patternPart("order*")).toBe('"order*"');
    expect(patternPart("a?b")).toBe('"a?b"');
    expect(patternPart("my.schema")).toBe('"my.schema"');
    expect(patternPart('say "hi"')).toBe('"say ""hi"""');
    expect(patternPart(" padded")).toBe('" padded"');
    expect(exactPattern({ schema: "public", name: "orders" })).toBe("public.orders");
  });

  it("makes patterns that match exactly the picked table (engine matcher)", () => {
    const tables = [
      { schema: "public", name: "order*" },
      { schema: "public", name: "orders" },
      { schema: "my.schema", name: "t" },
      { schema: "my", name: "schema.t" },
      { schema: "public", name: 'q"uote' },
      { schema: "public", name: "Order Items" },
      { schema: "public", name: "a?c" },
      { schema: "public", name: "abc" },
    ];
    for (const t of tables) {
      const parsed = parsePattern(exactPattern(t));
      expect(parsed.ok, exactPattern(t)).toBe(true);
      expect(selectTables(tables, { include: [exactPattern(t)] })).toEqual([t]);
    }
  });

  it("parses free globs from lines and commas", () => {
    expect(parseGlobList(" public.* \n\nsales.order_*, public.*,")).toEqual(["public.*", "sales.order_*"]);
    expect(parseGlobList("")).toEqual([]);
  });

  it("builds include and exclude lists without duplicates", () => {
    const sel = buildSelection([{ schema: "public", name: "a" }, { schema: "public", name: "b*" }], "public.a\nsales.*", "public.tmp_*");
    expect(sel).toEqual({ include: ["public.a", 'public."b*"', "sales.*"], exclude: ["public.tmp_*"] });
  });

  it("groups tables by schema in name order", () => {
    const groups = groupBySchema([
      { schema: "sales", name: "b" },
      { schema: "public", name: "z" },
      { schema: "sales", name: "a" },
    ]);
    expect(groups.map((g) => [g.schema, g.tables.map((t) => t.name)])).toEqual([
      ["public", ["z"]],
      ["sales", ["a", "b"]],
    ]);
  });
});

describe("selection preview", () => {
  const tables = [
    { schema: "public", name: "a" },
    { schema: "public", name: "b" },
    { schema: "sales", name: "c" },
  ];
  it("counts matches and explains invalid patterns", () => {
    expect(previewSelection(tables, { include: ["public.*"], exclude: ["public.b"] })).toEqual({ count: 1, error: null });
    expect(previewSelection(tables, { include: [], exclude: [] })).toEqual({ count: 0, error: null });
    expect(previewSelection(tables, { include: ["nodot"], exclude: [] }).error).toMatch(/no table part/);
  });
});

describe("table keys", () => {
  it("round-trip names with dots and spaces", () => {
    const t = { schema: "my.schema", name: "Order Items" };
    expect(fromKey(tableKey(t))).toEqual(t);
  });
});
