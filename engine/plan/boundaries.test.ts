import { describe, expect, it } from "vitest";
import { chunkCount, chunksFromBoundaries, pickBoundaries, samplePercent, sampleStep } from "./boundaries";

describe("chunk boundaries", () => {
  it("counts chunks from the estimate", () => {
    expect(chunkCount(0, 1000)).toBe(1);
    expect(chunkCount(-1, 1000)).toBe(1);
    expect(chunkCount(1000, 1000)).toBe(1);
    expect(chunkCount(1001, 1000)).toBe(2);
    expect(chunkCount(1_000_000, 100_000)).toBe(10);
  });

  it("counts chunks in multiples of the chunks in flight, none larger than chunkRows", () => {
    expect(chunkCount(1_000_000, 1_000_000, 2)).toBe(1);
    expect(chunkCount(1_000_001, 1_000_000, 2)).toBe(2);
    expect(chunkCount(2_000_000, 1_000_000, 2)).toBe(2);
    expect(chunkCount(2_010_000, 1_000_000, 2)).toBe(4);
    expect(chunkCount(10_000_000, 1_000_000, 3)).toBe(12);
  });

  it("picks evenly spaced, strictly increasing boundaries", () => {
    const sorted = Array.from({ length: 101 }, (_, i) => [String(i)]);
    expect(pickBoundaries(sorted, 4)).toEqual([["25"], ["50"], ["75"]]);
    expect(pickBoundaries(sorted, 1)).toEqual([]);
    expect(pickBoundaries([], 10)).toEqual([]);
  });

  it("collapses repeated picks when the sample is smaller than the chunk count", () => {
    const sorted = [["a", "1"], ["b", "2"]];
    expect(pickBoundaries(sorted, 10)).toEqual([["a", "1"], ["b", "2"]]);
  });

  it("turns boundaries into chunks that cover the key space without gaps or overlaps", () => {
    const chunks = chunksFromBoundaries([["10"], ["20"]]);
    expect(chunks).toEqual([
      { index: 0, lo: null, hi: ["10"], wholeTable: false },
      { index: 1, lo: ["10"], hi: ["20"], wholeTable: false },
      { index: 2, lo: ["20"], hi: null, wholeTable: false },
    ]);
    for (let i = 1; i < chunks.length; i++) expect(chunks[i]!.lo).toEqual(chunks[i - 1]!.hi);
    expect(chunksFromBoundaries([])).toEqual([{ index: 0, lo: null, hi: null, wholeTable: false }]);
  });

  it("sizes the sample by rows and by blocks, within (0, 100]", () => {
    expect(samplePercent(1_000_000, 10_000, 10)).toBeCloseTo(0.8);
    expect(samplePercent(1_000_000, 100, 10)).toBeCloseTo(80);
    expect(samplePercent(1_000_000, 50, 10)).toBe(100);
    expect(samplePercent(1e12, 1e12, 2)).toBeGreaterThan(0);
    expect(sampleStep(100_000, 10)).toBe(156);
    expect(sampleStep(10, 10)).toBe(1);
  });
});
