import { describe, expect, it } from "vitest";
import type { CdcProgress } from "./api/types";
import { addLagSample, formatLag, formatLagBytes } from "./cdc";

const cdc = (over: Partial<CdcProgress> = {}): CdcProgress => ({
  slot: "dtaas_tsk_1",
  consistentPoint: "0/16B3748",
  appliedLsn: "0/16B3800",
  receivedLsn: "0/16B3900",
  changesApplied: 10,
  transactionsApplied: 2,
  lagBytes: 2048,
  lagSeconds: 1.5,
  lastBatchAt: 1000,
  ...over,
});

describe("cdc helpers", () => {
  it("adds one lag sample per stream report, keyed by the report time", () => {
    let s = addLagSample([], cdc());
    expect(s).toEqual([{ time: 1000, lagSeconds: 1.5 }]);
    // The same report repeated by later messages, or an older one, adds nothing.
    s = addLagSample(s, cdc({ lagSeconds: 9 }));
    s = addLagSample(s, cdc({ lastBatchAt: 500 }));
    expect(s).toHaveLength(1);
    s = addLagSample(s, cdc({ lastBatchAt: 2000, lagSeconds: 3 }));
    expect(s.map((x) => x.lagSeconds)).toEqual([1.5, 3]);
  });

  it("skips messages without a measured lag, and clamps negative lag (clock skew) to 0", () => {
    expect(addLagSample([], null)).toEqual([]);
    expect(addLagSample([], cdc({ lastBatchAt: null }))).toEqual([]);
    expect(addLagSample([], cdc({ lagSeconds: null }))).toEqual([]);
    expect(addLagSample([], cdc({ lagSeconds: -0.2 }))).toEqual([{ time: 1000, lagSeconds: 0 }]);
  });

  it("keeps the newest samples", () => {
    let s: ReturnType<typeof addLagSample> = [];
    for (let i = 1; i <= 10; i++) s = addLagSample(s, cdc({ lastBatchAt: i * 1000, lagSeconds: i }), 4);
    expect(s.map((x) => x.lagSeconds)).toEqual([7, 8, 9, 10]);
  });

  it("formats lag", () => {
    expect(formatLag(null)).toBe("–");
    expect(formatLag(0)).toBe("0.0 s");
    expect(formatLag(0.43)).toBe("0.4 s");
    expect(formatLag(75)).toBe("1 min 15 s");
    expect(formatLagBytes(null)).toBe("–");
    expect(formatLagBytes(0)).toBe("0 B");
    expect(formatLagBytes(5 * 1024 * 1024)).toBe("5.00 MiB");
  });
});
