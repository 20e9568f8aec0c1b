import { describe, expect, it } from "vitest";
import { isAppError } from "../errors/app-error";
import { parsePattern, selectTables, TablePattern, TablePatterns } from "./select";

const tables = [
  { schema: "public", name: "users" },
  { schema: "public", name: "Users" },
  { schema: "public", name: "orders" },
  { schema: "sales", name: "order_items" },
  { schema: "sales", name: "order_2024" },
  { schema: "sales", name: "orderX" },
  { schema: "sales", name: "Order Items" },
  { schema: "my.schema", name: "t*" },
  { schema: "my.schema", name: "tx" },
].map((t, i) => ({ ...t, id: i }));

const pick = (include: string[], exclude: string[] = []) => selectTables(tables, { include, exclude }).map((t) => `${t.schema}.${t.name}`);

describe("selectTables", () => {
  it("matches a whole schema", () => {
    expect(pick(["public.*"])).toEqual(["public.users", "public.Users", "public.orders"]);
  });

  it("matches * and ? within a part, case-sensitively", () => {
    expect(pick(["sales.order_*"])).toEqual(["sales.order_items", "sales.order_2024"]);
    expect(pick(["sales.order?2024"])).toEqual(["sales.order_2024"]);
    expect(pick(["public.users"])).toEqual(["public.users"]);
    expect(pick(["public.USERS"])).toEqual([]);
    expect(pick(["*.Order Items"])).toEqual(["sales.Order Items"]);
  });

  it("treats regular-expression characters and _ literally", () => {
    expect(pick(["sales.order_?????"])).toEqual(["sales.order_items"]);
    expect(pick(["public.u[s]ers", "public.users+", "public.(users)"])).toEqual([]);
  });

  it("matches everything with *.* and applies excludes after includes", () => {
    expect(pick(["*.*"])).toHaveLength(tables.length);
    expect(pick(["*.*"], ["sales.*", "my.schema.*".replace("my.schema", '"my.schema"'), "public.?sers"])).toEqual(["public.orders"]);
  });

  it("takes quoted parts literally, dots and wildcards included", () => {
    expect(pick(['"my.schema"."t*"'])).toEqual(["my.schema.t*"]);
    expect(pick(['"my.schema".t*'])).toEqual(["my.schema.t*", "my.schema.tx"]);
    expect(pick(['"sales"."Order Items"'])).toEqual(["sales.Order Items"]);
  });

  it("keeps the extra fields and the order of its input", () => {
    expect(selectTables(tables, { include: ["sales.order*", "public.orders"] }).map((t) => t.id)).toEqual([2, 3, 4, 5]);
  });

  it("throws INVALID_TABLE_PATTERN on a pattern the schema refuses", () => {
    const err = (() => {
      try {
        selectTables(tables, { include: ["public"] });
      } catch (e) {
        return e;
      }
    })();
    expect(isAppError(err) && [err.code, err.status]).toEqual(["INVALID_TABLE_PATTERN", 400]);
  });
});

describe("TablePattern", () => {
  it.each([
    ["public.*"],
    ["sales.order_*"],
    ["*.*"],
    ['"Weird ""Name"""."a.b"'],
    ["public.Order Items"],
  ])("accepts %s", (p) => {
    expect(TablePattern.safeParse(p).success).toBe(true);
  });

  it.each([
    ["", "it is empty"],
    ["public", 'it has no table part; use "public.*" for every table of a schema'],
    ["public.", "the table part is empty"],
    [".users", "the schema part is empty"],
    ["a.b.c", 'it has more than one dot; quote names that contain dots, e.g. "my.schema".*'],
    ['"public.users', "a double quote is not closed"],
    ['pub"lic".users', "a double quote may only enclose a whole part"],
    ['"".users', 'a quoted name is empty ("")'],
    [" public.users", "a part starts or ends with a space (quote the name if it really does)"],
    ["public.us\ters", "it contains control characters"],
  ])("refuses %j", (p, why) => {
    const result = TablePattern.safeParse(p);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message)).toEqual([`"${p}" is not a schema.table pattern: ${why}`]);
  });

  it("requires at least one include pattern and defaults excludes", () => {
    expect(TablePatterns.safeParse({ include: [] }).error?.issues[0]?.message).toBe("include at least one pattern, e.g. public.*");
    expect(TablePatterns.parse({ include: ["public.*"] })).toEqual({ include: ["public.*"], exclude: [] });
  });

  it("exposes compiled patterns", () => {
    const parsed = parsePattern("sales.order_*");
    expect(parsed.ok && parsed.pattern.table.test("order_x")).toBe(true);
  });
});
