import { describe, expect, it } from "vitest";
import type { Run, RunProgress } from "./api/types";
import { addSample, etaSeconds, fromProgress, fromRun, percentLabel, runFraction, seriesPaths, tableFraction } from "./progress";

const table = (over: Partial<Parameters<typeof tableFraction>[0]> = {}) => ({
  status: "copying",
  rowsCopied: 0,
  estimatedRows: 1000,
  chunksDone: 0,
  chunksTotal: 4,
  ...over,
});

describe("progress math", () => {
  it("measures a table by rows against its estimate, reaching 1 only when it succeeded", () => {
    expect(tableFraction(table({ rowsCopied: 250 }))).toBe(0.25);
    expect(tableFraction(table({ rowsCopied: 5000 }))).toBe(0.99);
    expect(tableFraction(table({ status: "succeeded", rowsCopied: 10 }))).toBe(1);
  });

  it("falls back to chunks when the estimate is unknown", () => {
    expect(tableFraction(table({ estimatedRows: -1, chunksDone: 1 }))).toBe(0.25);
    expect(tableFraction(table({ estimatedRows: 0, chunksTotal: 0 }))).toBe(0);
  });

  it("measures the run", () => {
    expect(runFraction({ status: "running", rowsCopied: 500, estimatedRows: 1000, tables: [] })).toBe(0.5);
    expect(runFraction({ status: "running", rowsCopied: 1000, estimatedRows: 1000, tables: [] })).toBe(0.99);
    expect(runFraction({ status: "succeeded", rowsCopied: 0, estimatedRows: 0, tables: [] })).toBe(1);
    const tables = [{ ...table({ estimatedRows: 0, chunksDone: 2 }), sourceSchema: "", sourceTable: "", targetSchema: "", targetTable: "", bytesCopied: 0, validation: "", error: null }];
    expect(runFraction({ status: "running", rowsCopied: 0, estimatedRows: 0, tables })).toBe(0.5);
  });

  it("labels percentages floored", () => {
    expect(percentLabel(0.427)).toBe("42%");
    expect(percentLabel(0.999)).toBe("99%");
    expect(percentLabel(1)).toBe("100%");
    expect(percentLabel(Number.NaN)).toBe("0%");
  });

  it("computes an ETA only when rows move", () => {
    expect(etaSeconds(1000, 100)).toBe(10);
    expect(etaSeconds(1001, 100)).toBe(11);
    expect(etaSeconds(1000, 0)).toBeNull();
    expect(etaSeconds(-5, 10)).toBe(0);
  });

  it("collects rate samples, deriving the rate when the server gives none", () => {
    let s = addSample([], 1000, 0, null);
    s = addSample(s, 3000, 500, null);
    expect(s[1]!.rowsPerSecond).toBe(250);
    s = addSample(s, 4000, 900, 321);
    expect(s[2]!.rowsPerSecond).toBe(321);
    expect(addSample(s, 4000, 999, 1)).toHaveLength(3);
    let many: ReturnType<typeof addSample> = [];
    for (let i = 0; i < 10; i++) many = addSample(many, i * 1000, i, 1, 5);
    expect(many.map((x) => x.time)).toEqual([5000, 6000, 7000, 8000, 9000]);
  });

  it("draws the rate chart in the box", () => {
    expect(seriesPaths([], 100, 50)).toEqual({ line: "", area: "", max: 0 });
    const { line, area, max } = seriesPaths(
      [
        { time: 0, value: 0 },
        { time: 1000, value: 10 },
        { time: 2000, value: 5 },
      ],
      100,
      50,
    );
    expect(max).toBe(10);
    expect(line).toBe("M0.0,50.0 L50.0,0.0 L100.0,25.0");
    expect(area).toBe("M0.0,50.0 L50.0,0.0 L100.0,25.0 L100.0,50 L0.0,50 Z");
  });

  it("draws any series from 0 up, a single point at the right edge", () => {
    expect(seriesPaths([{ time: 5, value: 2 }], 100, 50).line).toBe("M100.0,0.0");
    expect(seriesPaths([{ time: 0, value: 0 }, { time: 10, value: 0 }], 100, 50)).toMatchObject({ line: "M0.0,50.0 L100.0,50.0", max: 0 });
    expect(seriesPaths([{ time: 0, value: 4 }, { time: 10, value: 2 }], 100, 50).line).toBe("M0.0,0.0 L100.0,25.0");
  });

  it("maps the run view and the progress message to one model", () => {
    const t = { sourceSchema: "public", sourceTable: "a", targetSchema: "public", targetTable: "a", status: "copying", rowsCopied: 20, bytesCopied: 1, estimatedRows: 10, chunksDone: 0, chunksTotal: 1, validation: "pending", error: null };
    const run: Run = {
      id: "run_1", taskId: "tsk_1", status: "running", phase: "copying", mode: "full_load", rowsCopied: 20, bytesCopied: 1, error: null,
      createdAt: 1, startedAt: 1, finishedAt: null, variables: {}, tables: [t, { ...t, rowsCopied: 0, estimatedRows: -1 }], cdc: null, validation: null, durationMs: 5,
    };
    const live = fromRun(run);
    expect(live.estimatedRows).toBe(20);
    expect(live.rowsPerSecond).toBeNull();
    const msg: RunProgress = {
      type: "progress", runId: "run_1", taskId: "tsk_1", status: "running", phase: "copying", rowsCopied: 20, bytesCopied: 1, estimatedRows: 30,
      rowsPerSecond: 7, etaSeconds: 2, startedAt: 1, finishedAt: null, error: null, tables: [t], cdc: null,
    };
    expect(fromProgress(msg)).toMatchObject({ runId: "run_1", estimatedRows: 30, rowsPerSecond: 7, etaSeconds: 2, tables: [t], cdc: null });
    const state = { slot: "s", consistentPoint: "0/1", appliedLsn: null, receivedLsn: null, changesApplied: 0, transactionsApplied: 0, lagBytes: null, lagSeconds: null, lastBatchAt: null };
    expect(fromProgress({ ...msg, cdc: state }).cdc).toEqual(state);
    expect(fromRun({ ...run, cdc: state }).cdc).toEqual(state);
  });
});
