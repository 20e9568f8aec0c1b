import { describe, expect, it } from "vitest";
import {
  BATCH_MAX_BYTES,
  BATCH_MAX_TABLES,
  batchBytes,
  expiredLeases,
  nextWake,
  planDispatch,
  retryDelayMs,
  retryPlan,
  throughput,
  type JobState,
  type TableState,
} from "./scheduling";

const job = (key: string, kind: JobState["kind"], tableKey: string | null, status: JobState["status"] = "pending", extra: Partial<JobState> = {}): JobState => ({
  key,
  kind,
  tableKey,
  status,
  attempt: 0,
  notBefore: 0,
  leaseUntil: null,
  ...extra,
});
const table = (key: string, ord: number, status: TableState["status"] = "pending", batchBytes: number | null = null): TableState => ({ key, ord, status, batchBytes });

describe("planDispatch", () => {
  it("runs the prepare job alone, then nothing until it is done", () => {
    const jobs = [job("prepare", "prepare", null)];
    expect(planDispatch(jobs, [], { parallelTables: 2, chunksPerTable: 2 }, 0)).toEqual({ dispatch: ["prepare"], batches: [], activate: [] });
    jobs[0]!.status = "dispatched";
    expect(planDispatch(jobs, [], { parallelTables: 2, chunksPerTable: 2 }, 0).dispatch).toEqual([]);
  });

  it("holds the foreign key job until every table has succeeded", () => {
    const jobs = [job("prepare", "prepare", null, "done"), job("a-finish", "finish", "a"), job("foreign_keys", "foreign_keys", null)];
    const limits = { parallelTables: 2, chunksPerTable: 2 };
    expect(planDispatch(jobs, [table("a", 0, "finishing"), table("b", 1, "succeeded")], limits, 0).dispatch).toEqual(["a-finish"]);
    jobs[1]!.status = "done";
    expect(planDispatch(jobs, [table("a", 0, "succeeded"), table("b", 1, "succeeded")], limits, 0).dispatch).toEqual(["foreign_keys"]);
  });

  it("activates at most parallelTables tables and keeps chunksPerTable chunks in flight each", () => {
    const jobs = [
      job("prepare", "prepare", null, "done"),
      ...["a", "b", "c"].flatMap((t) => [0, 1, 2].map((i) => job(`${t}${i}`, "copy", t))),
    ];
    const tables = [table("a", 0), table("b", 1), table("c", 2)];
    const plan = planDispatch(jobs, tables, { parallelTables: 2, chunksPerTable: 2 }, 0);
    expect(plan.activate).toEqual(["a", "b"]);
    expect(plan.dispatch).toEqual(["a0", "a1", "b0", "b1"]);
  });

  it("counts in-flight chunks and respects retry delays", () => {
    const jobs = [
      job("a0", "copy", "a", "dispatched"),
      job("a1", "copy", "a", "pending", { notBefore: 5_000 }),
      job("a2", "copy", "a"),
    ];
    const plan = planDispatch(jobs, [table("a", 0, "copying")], { parallelTables: 1, chunksPerTable: 2 }, 1_000);
    expect(plan.dispatch).toEqual(["a2"]);
    expect(planDispatch(jobs, [table("a", 0, "copying")], { parallelTables: 1, chunksPerTable: 1 }, 1_000).dispatch).toEqual([]);
  });

  it("batches small one-chunk tables into one lane, within the batch limits", () => {
    const small = ["a", "b", "c", "d"];
    const jobs = [job("prepare", "prepare", null, "done"), ...small.map((t) => job(`${t}0`, "copy", t)), job("big0", "copy", "big"), job("big1", "copy", "big"), job("e0", "copy", "e")];
    const tables = [...small.map((t, i) => table(t, i, "pending", 1000)), table("big", 4), table("e", 5, "pending", 1000)];
    const plan = planDispatch(jobs, tables, { parallelTables: 2, chunksPerTable: 2 }, 0);
    // One lane for a–d and e (small tables join the open batch even past a big one), one for the big table.
    expect(plan.activate).toEqual(["a", "b", "c", "d", "big", "e"]);
    expect(plan.batches).toEqual([["a0", "b0", "c0", "d0", "e0"]]);
    expect(plan.dispatch).toEqual(["a0", "b0", "c0", "d0", "big0", "big1", "e0"]);

    const one = planDispatch(jobs, tables, { parallelTables: 1, chunksPerTable: 2 }, 0);
    expect(one.activate).toEqual(["a", "b", "c", "d", "e"]);
    expect(one.batches).toEqual([["a0", "b0", "c0", "d0", "e0"]]);
  });

  it("closes a batch at its table count and byte budget, and does not batch a lone table", () => {
    const n = BATCH_MAX_TABLES + 1;
    const keys = Array.from({ length: n }, (_, i) => `t${i}`);
    const jobs = keys.map((t) => job(`${t}-0`, "copy", t));
    const plan = planDispatch(jobs, keys.map((t, i) => table(t, i, "pending", 10)), { parallelTables: 1, chunksPerTable: 2 }, 0);
    expect(plan.batches).toEqual([keys.slice(0, BATCH_MAX_TABLES).map((t) => `${t}-0`)]);
    expect(plan.activate).toHaveLength(BATCH_MAX_TABLES);

    const heavy = BATCH_MAX_BYTES / 2;
    const three = planDispatch(jobs.slice(0, 3), ["t0", "t1", "t2"].map((t, i) => table(t, i, "pending", heavy)), { parallelTables: 2, chunksPerTable: 2 }, 0);
    expect(three.batches).toEqual([["t0-0", "t1-0"]]);
    expect(three.dispatch).toEqual(["t0-0", "t1-0", "t2-0"]);

    const lone = planDispatch([job("x0", "copy", "x")], [table("x", 0, "pending", 10)], { parallelTables: 2, chunksPerTable: 2 }, 0);
    expect(lone).toEqual({ dispatch: ["x0"], batches: [], activate: ["x"] });
  });

  it("counts a batch in flight as one lane, and a retried table of it as its own", () => {
    const jobs = [
      job("a0", "copy", "a", "dispatched", { lane: "a0" }),
      job("b0", "copy", "b", "dispatched", { lane: "a0" }),
      job("c0", "copy", "c", "pending", { notBefore: 5_000 }),
      job("d0", "copy", "d"),
    ];
    const tables = [table("a", 0, "copying", 10), table("b", 1, "copying", 10), table("c", 2, "copying", 10), table("d", 3, "pending", 10)];
    // a+b are one lane, c (waiting for its retry) another: with 3 lanes d may start, with 2 it waits.
    expect(planDispatch(jobs, tables, { parallelTables: 3, chunksPerTable: 2 }, 0)).toEqual({ dispatch: ["d0"], batches: [], activate: ["d"] });
    expect(planDispatch(jobs, tables, { parallelTables: 2, chunksPerTable: 2 }, 0)).toEqual({ dispatch: [], batches: [], activate: [] });
    // A retry goes alone, never into a batch.
    expect(planDispatch(jobs, tables, { parallelTables: 3, chunksPerTable: 2 }, 6_000)).toEqual({ dispatch: ["c0", "d0"], batches: [], activate: ["d"] });
  });

  it("weighs only small, unpartitioned, one-chunk tables for batches", () => {
    expect(batchBytes({ chunks: [{}], sizeBytes: 4096, partitioned: false })).toBe(4096);
    expect(batchBytes({ chunks: [{}], sizeBytes: 4096, partitioned: true })).toBeNull();
    expect(batchBytes({ chunks: [{}, {}], sizeBytes: 4096, partitioned: false })).toBeNull();
    expect(batchBytes({ chunks: [{}], sizeBytes: 64 * 1024 * 1024, partitioned: false })).toBeNull();
    expect(batchBytes({ chunks: [{}], sizeBytes: -1, partitioned: false })).toBe(0);
  });

  it("dispatches a finishing table's finish job and keeps it counted as active", () => {
    const jobs = [job("a0", "copy", "a", "done"), job("fa", "finish", "a"), job("b0", "copy", "b")];
    const plan = planDispatch(jobs, [table("a", 0, "finishing"), table("b", 1)], { parallelTables: 1, chunksPerTable: 2 }, 0);
    expect(plan).toEqual({ dispatch: ["fa"], batches: [], activate: [] });
    const plan2 = planDispatch(jobs, [table("a", 0, "succeeded"), table("b", 1)], { parallelTables: 1, chunksPerTable: 2 }, 0);
    expect(plan2).toEqual({ dispatch: ["b0"], batches: [], activate: ["b"] });
  });
});

describe("leases, retries, wake-ups, throughput", () => {
  it("finds attempts whose lease ran out", () => {
    const jobs = [job("a", "copy", "t", "dispatched", { leaseUntil: 100 }), job("b", "copy", "t", "dispatched", { leaseUntil: 300 }), job("c", "copy", "t")];
    expect(expiredLeases(jobs, 200)).toEqual(["a"]);
  });

  it("backs off exponentially from the base delay, capped at 15 minutes", () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 5))).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect(retryDelayMs(30, 5)).toBe(15 * 60_000);
    expect(retryDelayMs(1, 0)).toBe(0);
  });

  it("wakes for the earliest lease or delayed retry", () => {
    const jobs = [job("a", "copy", "t", "dispatched", { leaseUntil: 900 }), job("b", "copy", "t", "pending", { notBefore: 500 }), job("c", "copy", "t", "done")];
    expect(nextWake(jobs, 100)).toBe(500);
    expect(nextWake([job("c", "copy", "t", "done")], 100)).toBeNull();
  });

  it("computes rows per second and the ETA from samples", () => {
    expect(throughput([{ time: 0, rows: 0 }, { time: 2_000, rows: 200_000 }], 500_000)).toEqual({ rowsPerSecond: 100_000, etaSeconds: 5 });
    expect(throughput([{ time: 0, rows: 0 }], 10)).toEqual({ rowsPerSecond: 0, etaSeconds: null });
  });
});

describe("retryPlan", () => {
  const options = { maxRetries: 3, retryDelaySeconds: 5 };
  it("gives a load job maxRetries retries with doubling delays, none for a fatal error", () => {
    expect([1, 2, 3, 4].map((a) => retryPlan("copy", a, { retryable: true }, options))).toEqual([{ delayMs: 5000 }, { delayMs: 10_000 }, { delayMs: 20_000 }, null]);
    expect(retryPlan("copy", 1, { retryable: false }, options)).toBeNull();
  });

  it("keeps the change stream trying while errors are retryable, at most a minute apart", () => {
    expect([1, 4, 5, 50].map((a) => retryPlan("cdc", a, { retryable: true }, options))).toEqual([{ delayMs: 5000 }, { delayMs: 40_000 }, { delayMs: 60_000 }, { delayMs: 60_000 }]);
    expect(retryPlan("cdc", 1, { retryable: false }, options)).toBeNull();
  });
});
