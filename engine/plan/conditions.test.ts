import { describe, expect, it } from "vitest";
import type { ColumnInfo, TableInfo } from "../catalog/types";
import { AppError } from "../errors/app-error";
import { chunkCondition } from "./chunk-condition";
import { filterCondition } from "./filter";
import { literalBinder, paramBinder } from "./sql-binder";
import { resolveFilters, substituteVariables, targetRefFor } from "./variables";

function column(name: string, typeName: string, position: number): ColumnInfo {
  return { name, position, dataType: typeName, typeSchema: "pg_catalog", typeName, typeKind: "b", isArray: false, nullable: true, defaultExpr: null, generated: "", identity: "" };
}

const table: TableInfo = {
  schema: "My Schema",
  name: 'Order "Items"',
  columns: [column("a b", "int4", 1), column("Group", "text", 2), column("select", "numeric", 3)],
  primaryKey: ["a b", "Group"],
  estimatedRows: 10,
  sizeBytes: 8192,
};

describe("chunk conditions", () => {
  it("builds composite-key row comparisons with parameters and quoted identifiers", () => {
    const bind = paramBinder();
    const where = chunkCondition(table, { index: 1, lo: ["1", "x"], hi: ["5", "it's"], wholeTable: false }, undefined, bind);
    expect(where).toBe(
      `(("a b", "Group") >= ($1::"pg_catalog"."int4", $2::"pg_catalog"."text") AND ("a b", "Group") < ($3::"pg_catalog"."int4", $4::"pg_catalog"."text"))`,
    );
    expect(bind.params).toEqual(["1", "x", "5", "it's"]);
  });

  it("inlines values as quoted literals where parameters are impossible", () => {
    const where = chunkCondition(table, { index: 0, lo: null, hi: ["5", "a\\'b"], wholeTable: false }, undefined, literalBinder);
    expect(where).toBe(`(("a b", "Group") < ('5'::"pg_catalog"."int4", E'a\\\\''b'::"pg_catalog"."text"))`);
  });

  it("selects everything for an unbounded or whole-table chunk", () => {
    expect(chunkCondition(table, { index: 0, lo: null, hi: null, wholeTable: false }, undefined, literalBinder)).toBe("TRUE");
    expect(chunkCondition(table, { index: 0, lo: null, hi: null, wholeTable: true }, undefined, literalBinder)).toBe("TRUE");
  });
});

describe("row filters", () => {
  it("builds every operator with bound values, never raw SQL", () => {
    const bind = paramBinder();
    const where = filterCondition(
      table,
      [
        { column: "Group", op: "=", value: "x'; DROP TABLE t; --" },
        { column: "select", op: "!=", value: 3 },
        { column: "a b", op: "<=", value: 10 },
        { column: "Group", op: "like", value: "ab%" },
        { column: "a b", op: "in", value: [1, 2] },
        { column: "a b", op: "not_in", value: [] },
        { column: "select", op: "is_null" },
        { column: "Group", op: "is_not_null" },
      ],
      bind,
    );
    expect(where).toBe(
      [
        `("Group" = $1::"pg_catalog"."text")`,
        `("select" <> $2::"pg_catalog"."numeric")`,
        `("a b" <= $3::"pg_catalog"."int4")`,
        `("Group"::text LIKE $4::text)`,
        `("a b" IN ($5::"pg_catalog"."int4", $6::"pg_catalog"."int4"))`,
        `(TRUE)`,
        `("select" IS NULL)`,
        `("Group" IS NOT NULL)`,
      ].join(" AND "),
    );
    expect(bind.params).toEqual(["x'; DROP TABLE t; --", "3", "10", "ab%", "1", "2"]);
  });

  it("refuses a column the table does not have", () => {
    expect(() => filterCondition(table, [{ column: "nope", op: "is_null" }], literalBinder)).toThrow(AppError);
  });
});

describe("variables", () => {
  it("substitutes values and name templates", () => {
    expect(substituteVariables("${env}_sales", { env: "prod" })).toBe("prod_sales");
    expect(targetRefFor({ schema: "public", name: "sales" }, { targetSchema: "${env}_${schema}" }, { env: "dev" })).toEqual({ schema: "dev_public", name: "sales" });
    expect(resolveFilters([{ column: "Group", op: "in", value: ["${region}", 3] }], { region: "eu" })).toEqual([{ column: "Group", op: "in", value: ["eu", 3] }]);
  });

  it("rejects an unknown variable with VARIABLE_UNDEFINED (400)", () => {
    try {
      substituteVariables("${missing}_x", {});
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(AppError);
      expect((e as AppError).code).toBe("VARIABLE_UNDEFINED");
      expect((e as AppError).status).toBe(400);
    }
  });

  it("refuses target names PostgreSQL would truncate", () => {
    expect(() => targetRefFor({ schema: "s", name: "t" }, { targetTable: "x".repeat(64) })).toThrow(/1 to 63 bytes/);
  });
});
