import { describe, expect, it } from "vitest";
import { isoTimestamp, parseArrayLiteral, rowsToObjects, toJsonValue, toParam } from "./values";

describe("toJsonValue", () => {
  it.each([
    ["2024-01-02 03:04:05+00", "2024-01-02T03:04:05Z"],
    ["2024-01-02 03:04:05.123456+05:30", "2024-01-02T03:04:05.123456+05:30"],
    ["2024-01-02 03:04:05-08", "2024-01-02T03:04:05-08:00"],
    ["2024-01-02 03:04:05.5", "2024-01-02T03:04:05.5"],
    ["infinity", "infinity"],
    ["0044-03-15 12:00:00 BC", "0044-03-15 12:00:00 BC"],
    ["1900-01-01 00:00:00+00:19:32", "1900-01-01 00:00:00+00:19:32"],
  ])("timestamp %s → %s", (text, iso) => {
    expect(isoTimestamp(text)).toBe(iso);
  });

  it("keeps exact numbers as strings and non-finite floats as text", () => {
    expect(toJsonValue("12345678901234567890", 20)).toBe("12345678901234567890");
    expect(toJsonValue("0.10", 1700)).toBe("0.10");
    expect(toJsonValue("-Infinity", 701)).toBe("-Infinity");
    expect(toJsonValue("1e+30", 701)).toBe(1e30);
    expect(toJsonValue("f", 16)).toBe(false);
    expect(toJsonValue(null, 23)).toBe(null);
  });

  it("parses arrays, with bounds, quotes, NULLs and custom delimiters", () => {
    expect(toJsonValue("[0:1]={7,8}", 1007)).toEqual([7, 8]);
    expect(toJsonValue('{"a\\\\b","NULL",NULL,""}', 1009)).toEqual(["a\\b", "NULL", null, ""]);
    expect(toJsonValue("{}", 1009)).toEqual([]);
    expect(parseArrayLiteral("{(1,1),(0,0);(2,2),(1,1)}", ";", (s) => s)).toEqual(["(1,1),(0,0)", "(2,2),(1,1)"]);
    expect(toJsonValue("{1,2", 1007)).toBe("{1,2");
    expect(toJsonValue("{a,b}", 99999, new Map([[99999, { elem: 25, delim: "," }]]))).toEqual(["a", "b"]);
  });

  it("names columns of raw rows", () => {
    const raw = { command: "SELECT", columns: [{ name: "a", typeOid: 23 }, { name: "b", typeOid: 3802 }], rows: [["1", '{"x":1}']] };
    expect(rowsToObjects(raw)).toEqual([{ a: 1, b: { x: 1 } }]);
  });
});

describe("toParam", () => {
  it("sends every value as PostgreSQL text", () => {
    expect(toParam(null)).toBe(null);
    expect(toParam(undefined)).toBe(null);
    expect(toParam(12n)).toBe("12");
    expect(toParam(true)).toBe("true");
    expect(toParam(new Date(Date.UTC(2024, 0, 2)))).toBe("2024-01-02T00:00:00.000Z");
    expect(toParam(new Uint8Array([0, 255]))).toBe("\\x00ff");
    expect(toParam(["a", 'b"c', null, ["d\\"]])).toBe('{"a","b\\"c",NULL,{"d\\\\"}}');
    expect(toParam({ k: [1] })).toBe('{"k":[1]}');
  });
});
