import { describe, expect, it } from "vitest";
import { expiredLeases, nextWake, planDispatch, retryDelayMs, retryPlan, throughput, type JobState, type TableState } from "./scheduling";

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
const table = (key: string, ord: number, status: TableState["status"] = "pending"): TableState => ({ key, ord, status });

describe("planDispatch", () => {
  it("runs the prepare job alone, then nothing until it is done", () => {
    const jobs = [job("prepare", "prepare", null)];
    expect(planDispatch(jobs, [], { parallelTables: 2, chunksPerTable: 2 }, 0)).toEqual({ dispatch: ["prepare"], activate: [] });
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

  it("dispatches a finishing table's finish job and keeps it counted as active", () => {
    const jobs = [job("a0", "copy", "a", "done"), job("fa", "finish", "a"), job("b0", "copy", "b")];
    const plan = planDispatch(jobs, [table("a", 0, "finishing"), table("b", 1)], { parallelTables: 1, chunksPerTable: 2 }, 0);
    expect(plan).toEqual({ dispatch: ["fa"], activate: [] });
    const plan2 = planDispatch(jobs, [table("a", 0, "succeeded"), table("b", 1)], { parallelTables: 1, chunksPerTable: 2 }, 0);
    expect(plan2).toEqual({ dispatch: ["b0"], activate: ["b"] });
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
