import { describe, expect, it } from "vitest";
import { formatBytes, formatCell, formatCompact, formatCount, formatDateTime, formatDuration, formatRate, formatRelative } from "./format";

describe("format", () => {
  it("formats bytes with binary units", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1024)).toBe("1.00 KiB");
    expect(formatBytes(15 * 1024 * 1024)).toBe("15.0 MiB");
    expect(formatBytes(300 * 1024 ** 3)).toBe("300 GiB");
    expect(formatBytes(-1)).toBe("–");
    expect(formatBytes(Number.NaN)).toBe("–");
  });

  it("formats counts with thousands separators and compactly", () => {
    expect(formatCount(0)).toBe("0");
    expect(formatCount(1234567)).toBe("1,234,567");
    expect(formatCount(-1000)).toBe("-1,000");
    expect(formatCompact(999)).toBe("999");
    expect(formatCompact(34_500)).toBe("34.5k");
    expect(formatCompact(1_000_000)).toBe("1M");
    expect(formatCompact(250_000)).toBe("250k");
    expect(formatRate(12_345)).toBe("12.3k rows/s");
    expect(formatRate(-5)).toBe("0 rows/s");
  });

  it("formats durations at a useful precision", () => {
    expect(formatDuration(null)).toBe("–");
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(45_000)).toBe("45 s");
    expect(formatDuration(192_000)).toBe("3 min 12 s");
    expect(formatDuration(180_000)).toBe("3 min");
    expect(formatDuration((2 * 3600 + 5 * 60) * 1000)).toBe("2 h 5 min");
    expect(formatDuration((3 * 24 + 4) * 3600 * 1000)).toBe("3 d 4 h");
  });

  it("formats times", () => {
    expect(formatDateTime(Date.UTC(2026, 3, 26, 13, 5, 9), true)).toBe("2026-04-26 13:05:09");
    expect(formatDateTime(null)).toBe("–");
    const now = Date.UTC(2026, 3, 26, 12);
    expect(formatRelative(now - 10_000, now)).toBe("just now");
    expect(formatRelative(now - 5 * 60_000, now)).toBe("5 min ago");
    expect(formatRelative(now - 3 * 3600_000, now)).toBe("3 h ago");
    expect(formatRelative(now - 2 * 86_400_000, now)).toBe("2 d ago");
    expect(formatRelative(null, now)).toBe("never");
  });

  it("renders result cells", () => {
    expect(formatCell(null)).toBe("NULL");
    expect(formatCell("x")).toBe("x");
    expect(formatCell(3.5)).toBe("3.5");
    expect(formatCell(false)).toBe("false");
    expect(formatCell({ a: [1, 2] })).toBe('{"a":[1,2]}');
  });
});
