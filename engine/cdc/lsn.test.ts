import { describe, expect, it } from "vitest";
import { compareLsn, formatLsn, maxLsn, parseLsn } from "./lsn";

describe("lsn", () => {
  it("parses and formats the pg_lsn text form", () => {
    expect(parseLsn("16/B374D848")).toBe(0x16b374d848n);
    expect(parseLsn("0/0")).toBe(0n);
    expect(parseLsn("FFFFFFFF/FFFFFFFF")).toBe((1n << 64n) - 1n);
    expect(formatLsn(0x16b374d848n)).toBe("16/B374D848");
    expect(formatLsn(0n)).toBe("0/0");
    expect(formatLsn(0x100000000n)).toBe("1/0");
    expect(formatLsn(parseLsn("a/1b"))).toBe("A/1B");
  });
  it("refuses what is not an LSN", () => {
    for (const bad of ["", "16", "16/", "/1", "1/2/3", "G/1", "123456789/0", "-1/0"]) expect(() => parseLsn(bad)).toThrow();
    expect(() => formatLsn(-1n)).toThrow();
    expect(() => formatLsn(1n << 64n)).toThrow();
  });
  it("compares numerically, not as text", () => {
    expect(compareLsn(parseLsn("9/0"), parseLsn("10/0"))).toBe(-1);
    expect(compareLsn(parseLsn("0/FF"), parseLsn("0/100"))).toBe(-1);
    expect(compareLsn(5n, 5n)).toBe(0);
    expect(compareLsn(6n, 5n)).toBe(1);
    expect(maxLsn(3n, 7n)).toBe(7n);
  });
});
