import { describe, expect, it } from "vitest";
import { browseQuery, qualifiedName, quoteIdent } from "./sql";

describe("sql", () => {
  it("quotes identifiers, doubling embedded quotes", () => {
    expect(quoteIdent("users")).toBe('"users"');
    expect(quoteIdent("Order Items")).toBe('"Order Items"');
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(quoteIdent('x"; DROP TABLE t; --')).toBe('"x""; DROP TABLE t; --"');
    expect(qualifiedName("my.schema", "t")).toBe('"my.schema"."t"');
    expect(() => quoteIdent("a\u0000b")).toThrow(/NUL/);
  });

  it("pages a table by its primary key, asking for one extra row", () => {
    expect(browseQuery({ schema: "public", name: "orders", primaryKey: ["id"] }, 0, 50)).toBe(
      'SELECT * FROM "public"."orders" ORDER BY "id" LIMIT 51 OFFSET 0',
    );
    expect(browseQuery({ schema: "s", name: 'we"ird', primaryKey: ["a", 'b"c'] }, 2, 25)).toBe(
      'SELECT * FROM "s"."we""ird" ORDER BY "a", "b""c" LIMIT 26 OFFSET 50',
    );
  });

  it("orders a table without a primary key by ctid", () => {
    expect(browseQuery({ schema: "public", name: "log", primaryKey: [] }, 1, 10)).toBe('SELECT * FROM "public"."log" ORDER BY ctid LIMIT 11 OFFSET 10');
  });

  it("refuses bad paging", () => {
    expect(() => browseQuery({ schema: "s", name: "t", primaryKey: [] }, -1, 10)).toThrow();
    expect(() => browseQuery({ schema: "s", name: "t", primaryKey: [] }, 0, 0)).toThrow();
  });
});
