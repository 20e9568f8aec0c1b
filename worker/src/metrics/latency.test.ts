import { describe, expect, it } from "vitest";
import { bucketOf, quantile } from "./latency";

describe("latency histogram", () => {
  it("puts a duration in the first bucket whose bound it does not exceed", () => {
    expect(bucketOf(0)).toBe("le5");
    expect(bucketOf(5)).toBe("le5");
    expect(bucketOf(5.1)).toBe("le10");
    expect(bucketOf(10_000)).toBe("le10000");
    expect(bucketOf(10_001)).toBe("leInf");
  });

  it("interpolates quantiles inside buckets", () => {
    expect(quantile([0, 0, 0], 0.5)).toBeNull();
    // 100 requests all in (10, 25]: the median is halfway.
    expect(quantile([0, 0, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0.5)).toBe(17.5);
    // 90 fast, 10 slow: p50 among the fast, p95 and p99 among the slow.
    const counts = [90, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 0];
    expect(quantile(counts, 0.5)).toBeLessThanOrEqual(5);
    expect(quantile(counts, 0.95)).toBe(750);
    expect(quantile(counts, 0.99)).toBe(950);
    expect(quantile([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3], 0.99)).toBe(10_000);
  });
});
