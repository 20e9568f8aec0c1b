import { describe, expect, it } from "vitest";
import type { ColumnInfo, TableInfo } from "../catalog/types";
import { checksumAllChunksSql, checksumSql, rowHashSql } from "./checksum-sql";

function column(name: string, typeName: string, position: number, more: Partial<ColumnInfo> = {}): ColumnInfo {
  return { name, position, dataType: typeName, typeSchema: "pg_catalog", typeName, typeKind: "b", isArray: false, nullable: true, defaultExpr: null, generated: "", identity: "", ...more };
}

const table = (columns: ColumnInfo[]): TableInfo => ({ schema: "s", name: "t", columns, primaryKey: ["id"], estimatedRows: 10, sizeBytes: 8192 });

describe("rowHashSql", () => {
  it("hashes exact types by type, others by their own text, each with a seed per position, the rest as one record text", () => {
    const sql = rowHashSql(
      table([
        column("f", "float8", 3),
        column("id", "int4", 1),
        column("pad", "bpchar", 2),
        column("mood", "mood", 4, { typeSchema: "public", typeKind: "e" }),
        column("pads", "bpchar", 5, { isArray: true }),
        column("at", "timestamptz", 6),
        column("pos", "positive", 7, { typeSchema: "public", typeKind: "d" }),
        column("pair", "pair", 8, { typeSchema: "public", typeKind: "c" }),
      ]),
    );
    expect(sql).toBe(
      `hashint8extended(coalesce(hashint4extended("id"::"pg_catalog"."int4", 1), 1)` +
        ` # coalesce(hashint8extended(octet_length("pad"::"pg_catalog"."bpchar"), hashbpcharextended("pad"::"pg_catalog"."bpchar" COLLATE "C", 2)), 2)` +
        ` # coalesce(hashint8extended(CASE WHEN "f"::"pg_catalog"."float8" = 0 AND "f"::"pg_catalog"."float8"::text = '-0' THEN 1 ELSE 0 END, hashfloat8extended("f"::"pg_catalog"."float8", 3)), 3)` +
        ` # coalesce(hashtextextended("mood"::text COLLATE "C", 4), 4)` +
        ` # coalesce(hashtextextended("pads"::text COLLATE "C", 5), 5)` +
        ` # coalesce(timestamp_hash_extended("at"::"pg_catalog"."timestamptz" AT TIME ZONE 'UTC', 6), 6)` +
        ` # hashtextextended(ROW("pos", "pair")::text, 0), 0)`,
    );
  });

  it("uses the record text alone when every column needs it", () => {
    expect(rowHashSql(table([column("p", "pair", 1, { typeSchema: "public", typeKind: "c" }), column("d", "positive", 2, { typeSchema: "public", typeKind: "d" })]))).toBe(
      `hashtextextended(ROW("p", "d")::text, 0)`,
    );
  });

  it("counts and sums over the chunk's condition on the named table", () => {
    const sql = checksumSql(table([column("id", "int8", 1)]), { index: 0, lo: ["5"], hi: null, wholeTable: false }, undefined, { schema: "x", name: "y" });
    expect(sql).toBe(
      `SELECT count(*)::text AS rows, coalesce(sum(hashint8extended(coalesce(hashint8extended("id"::"pg_catalog"."int8", 1), 1), 0)), 0)::text AS hash
    FROM "x"."y" WHERE ("id" >= '5'::"pg_catalog"."int8")`,
    );
  });

  it("assigns rows to chunks by halving the plan at upper bounds: log2(chunks) comparisons per row", () => {
    const bounds = ["10", "20", "30", "40"];
    const chunks = [null, ...bounds].map((lo, i) => ({ index: i, lo: lo === null ? null : [lo], hi: i < bounds.length ? [bounds[i]!] : null, wholeTable: false }));
    const sql = checksumAllChunksSql(table([column("id", "int8", 1)]), chunks, undefined, { schema: "x", name: "y" });
    const lt = (v: string) => `"id" < '${v}'::"pg_catalog"."int8"`;
    expect(sql).toContain(
      `SELECT CASE WHEN ${lt("20")} THEN CASE WHEN ${lt("10")} THEN 0 ELSE 1 END ELSE CASE WHEN ${lt("30")} THEN 2 ELSE CASE WHEN ${lt("40")} THEN 3 ELSE 4 END END END AS chunk`,
    );
    expect(checksumAllChunksSql(table([column("id", "int8", 1)]), [chunks[0]!], undefined, { schema: "x", name: "y" })).toContain("SELECT 0 AS chunk");
    expect(() => checksumAllChunksSql(table([column("id", "int8", 1)]), [{ ...chunks[0]!, hi: null }, chunks[1]!], undefined, { schema: "x", name: "y" })).toThrow(/no upper bound/);
  });
});
