import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import type { TableRef } from "../../../engine/catalog/types";
import { checksumChunk } from "../../../engine/checksum/checksum-chunk";
import { prepareTarget } from "../../../engine/ddl/prepare-target";
import type { CopyChunkJob, RunnerEvent, RunnerEventBatch } from "../../../engine/jobs/protocol";
import { createLogger } from "../../../engine/log/logger";
import { wholeKeyRange } from "../../../engine/plan/plan-chunks";
import { tableDigest } from "../../../engine/test-support/table-digest";
import { readTableInfo } from "../../../engine/test-support/table-info";
import { createTestDatabases, type TestDatabases } from "../../../engine/test-support/test-databases";
import { waitUntil } from "../../../scripts/lib/wait";
import { createRunnerServer } from "../server";
import { JobRunner } from "./job-runner";
import { Pools } from "./pools";
import { Reporter } from "./reporter";
import { jobRoutes } from "./routes";

const TOKEN = "batch-test-token-0123456789";
const ref = (name: string): TableRef => ({ schema: "public", name });
const [CHUNK] = wholeKeyRange();

/** The coordinator's side: records every POSTed body; answers batches per event, refusing `unwanted` attempts. */
class FakeCoordinator {
  readonly bodies: RunnerEventBatch[] = [];
  readonly unwanted = new Set<string>();
  /** While set, the answer to a report holding results waits for it. */
  holdResults: Promise<void> | null = null;
  private readonly server: Server;

  constructor() {
    this.server = createServer((req, res) => {
      let text = "";
      req.on("data", (d: Buffer) => (text += d.toString()));
      req.on("end", () => {
        expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
        const body = JSON.parse(text) as RunnerEventBatch;
        this.bodies.push(body);
        const held = body.events.some((e) => e.event !== "progress") ? this.holdResults : null;
        void Promise.resolve(held).then(() => {
          res.setHeader("content-type", "application/json");
          res.end(JSON.stringify({ accepted: body.events.map((e) => !this.unwanted.has(e.attemptId)) }));
        });
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/internal/runner/events`;
  }

  /** Reports holding results (a batch's one final report), in arrival order. */
  results(): RunnerEvent[][] {
    return this.bodies.filter((b) => b.events.some((e) => e.event !== "progress")).map((b) => b.events);
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

describe("a batch of copy jobs", () => {
  let dbs: TestDatabases;
  let pools: Pools;
  let coordinator: FakeCoordinator;
  let callbackUrl: string;
  const logLines: { message: string; attemptId?: string }[] = [];
  const log = createLogger("runner", { LOG_LEVEL: "info" }, (line) => logLines.push(JSON.parse(line) as (typeof logLines)[number]));

  beforeAll(async () => {
    dbs = await createTestDatabases(inject("pgUrl"), "batch");
    pools = new Pools();
  });
  afterAll(async () => {
    await pools?.closeAll();
    await dbs?.drop();
  });
  afterEach(() => coordinator?.close());

  async function startCoordinator(): Promise<void> {
    coordinator = new FakeCoordinator();
    callbackUrl = await coordinator.listen();
  }

  function runner(options: { progressIntervalMs?: number; maxConcurrent?: number } = {}): JobRunner {
    return new JobRunner({ pools, reporter: new Reporter({ token: TOKEN, log, giveUpAfterMs: 5_000 }), log, ...options });
  }

  /** Source tables `<prefix>_<i>` of `rows[i]` rows, their empty target tables, and one copy job each. */
  async function tables(prefix: string, rows: number[]): Promise<CopyChunkJob[]> {
    const jobs: CopyChunkJob[] = [];
    for (const [i, n] of rows.entries()) {
      const name = `${prefix}_${i}`;
      await dbs.source.unsafe(`CREATE TABLE ${name} (id int PRIMARY KEY, v text, at timestamptz DEFAULT now());
        INSERT INTO ${name} (id, v) SELECT g, md5(g::text) FROM generate_series(1, ${n}) g`);
      const table = await readTableInfo(dbs.source, ref(name));
      const [prepared] = await prepareTarget(dbs.source, dbs.target, [{ table, targetRef: ref(name) }]);
      jobs.push({
        type: "copy_chunk",
        taskId: "task_1",
        runId: "run_1",
        attemptId: `${name}#1`,
        callbackUrl,
        source: { kind: "postgres", url: dbs.sourceUrl },
        target: { kind: "postgres", url: dbs.targetUrl },
        table,
        targetTable: ref(name),
        chunk: CHUNK!,
        filters: [],
        validate: true,
        cleanRange: false,
        finish: { created: prepared!.created, checksum: true },
        recordSnapshot: false,
      });
    }
    return jobs;
  }

  const idle = (r: JobRunner) => waitUntil(async () => r.active === 0, { what: "the batch", timeoutMs: 30_000, intervalMs: 20 });

  async function expectCopied(job: CopyChunkJob, event: RunnerEvent | undefined): Promise<void> {
    const source = await checksumChunk(dbs.source, job.table, CHUNK!);
    const [{ count }] = await dbs.source.unsafe<[{ count: number }]>(`SELECT count(*)::int AS count FROM ${job.table.name}`);
    // The rows the COPY read on the source and what the target holds after the finish checksum alike.
    expect(event).toMatchObject({
      event: "succeeded",
      attemptId: job.attemptId,
      outcome: { type: "copy_chunk", rows: count, checksum: source, finish: { checksums: [{ index: 0, ...source }] } },
    });
    expect(await tableDigest(dbs.target, job.targetTable)).toEqual(await tableDigest(dbs.source, ref(job.table.name)));
  }

  it("runs the jobs of one POST /jobs one after another and reports their results in one report, in order", async () => {
    await startCoordinator();
    const jobs = await tables("ok", [1200, 1, 345]);
    const r = runner();
    const server = createRunnerServer({ token: TOKEN, routes: jobRoutes(r) });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const post = (body: unknown) =>
        fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/jobs`, {
          method: "POST",
          headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      const res = await post({ type: "batch", jobs });
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ started: true });
      await idle(r);
      const results = coordinator.results();
      expect(results).toHaveLength(1);
      expect(results[0]!.map((e) => [e.event, e.attemptId])).toEqual(jobs.map((j) => ["succeeded", j.attemptId]));
      for (const [i, job] of jobs.entries()) await expectCopied(job, results[0]![i]);
      for (const job of jobs) expect(logLines).toContainEqual(expect.objectContaining({ message: "job succeeded", attemptId: job.attemptId }));

      // Neither the batch again, nor one of its attempts alone, runs anything twice.
      for (const again of [{ type: "batch", jobs }, jobs[1]]) {
        const res = await post(again);
        expect(res.status).toBe(202);
        expect(await res.json()).toEqual({ started: false });
      }
      // A batch that mixes tasks or callback URLs, repeats an attempt, or is empty is refused.
      for (const bad of [
        { type: "batch", jobs: [jobs[0], { ...jobs[1], taskId: "task_2" }] },
        { type: "batch", jobs: [jobs[0], { ...jobs[1], callbackUrl: `${callbackUrl}?other` }] },
        { type: "batch", jobs: [jobs[0], jobs[0]] },
        { type: "batch", jobs: [] },
      ]) {
        const res = await post(bad);
        expect(res.status).toBe(400);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe("VALIDATION_FAILED");
      }
      expect(coordinator.bodies.filter((b) => b.events.some((e) => e.event !== "progress"))).toHaveLength(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("reports a failing job of the batch as failed and still runs the others", async () => {
    await startCoordinator();
    const jobs = await tables("fail", [10, 20, 30]);
    await dbs.source.unsafe(`DROP TABLE fail_1`);
    const r = runner();
    expect(r.accept({ type: "batch", jobs })).toEqual({ started: true });
    await idle(r);
    const [events] = coordinator.results();
    expect(events!.map((e) => [e.event, e.attemptId])).toEqual([
      ["succeeded", "fail_0#1"],
      ["failed", "fail_1#1"],
      ["succeeded", "fail_2#1"],
    ]);
    expect(events![1]).toMatchObject({ taskId: "task_1", runId: "run_1", error: { code: expect.any(String), message: expect.any(String), retryable: expect.any(Boolean) } });
    await expectCopied(jobs[0]!, events![0]);
    await expectCopied(jobs[2]!, events![2]);
    expect(logLines).toContainEqual(expect.objectContaining({ message: "job failed", attemptId: "fail_1#1" }));

    // A batch of the finished attempts and a new one runs only the new one.
    await dbs.source.unsafe(`CREATE TABLE fail_1 (id int PRIMARY KEY, v text, at timestamptz DEFAULT now()); INSERT INTO fail_1 (id, v) VALUES (1, 'a')`);
    const retry = { ...jobs[1]!, attemptId: "fail_1#2", cleanRange: true };
    expect(r.accept({ type: "batch", jobs: [...jobs, retry] })).toEqual({ started: true });
    await idle(r);
    const [, second] = coordinator.results();
    expect(second!.map((e) => [e.event, e.attemptId])).toEqual([["succeeded", "fail_1#2"]]);
    await expectCopied(retry, second![0]);
  });

  it("takes one job slot for the whole batch", async () => {
    await startCoordinator();
    const jobs = await tables("slot", [5, 5]);
    const lock = await dbs.source.reserve();
    try {
      await lock.unsafe(`BEGIN; LOCK TABLE slot_0 IN ACCESS EXCLUSIVE MODE`);
      const r = runner({ maxConcurrent: 1 });
      expect(r.accept({ type: "batch", jobs })).toEqual({ started: true });
      expect(r.active).toBe(2);
      // Running attempts are not started again; another job finds the only slot taken.
      expect(r.accept(jobs[1])).toEqual({ started: false });
      expect(() => r.accept({ ...jobs[0]!, attemptId: "slot_0#2" })).toThrow(expect.objectContaining({ code: "RUNNER_BUSY", status: 503 }));
      await lock.unsafe(`COMMIT`);
      await idle(r);
      expect(coordinator.results()[0]!.map((e) => e.event)).toEqual(["succeeded", "succeeded"]);
    } finally {
      lock.release();
    }
  });

  it("beats for every unfinished job, skips a waiting job the coordinator no longer wants, and sends no progress after the results", async () => {
    await startCoordinator();
    const jobs = await tables("beat", [100, 200, 300]);
    const lock = await dbs.source.reserve();
    let releaseResults!: () => void;
    coordinator.holdResults = new Promise<void>((r) => (releaseResults = r));
    const r = runner({ progressIntervalMs: 25 });
    try {
      // The first job waits for the lock: the heartbeat lists it (running, 0/0) and the two waiting ones.
      await lock.unsafe(`BEGIN; LOCK TABLE beat_0 IN ACCESS EXCLUSIVE MODE`);
      coordinator.unwanted.add("beat_0#1");
      coordinator.unwanted.add("beat_2#1");
      expect(r.accept({ type: "batch", jobs })).toEqual({ started: true });
      await waitUntil(async () => coordinator.bodies.length >= 2, { what: "heartbeats", timeoutMs: 10_000, intervalMs: 10 });
      expect(coordinator.bodies[0]).toEqual({
        taskId: "task_1",
        events: jobs.map((j) => ({ event: "progress", taskId: "task_1", runId: "run_1", attemptId: j.attemptId, rows: 0, bytes: 0 })),
      });
      // Refused while waiting, beat_2 is dropped from later heartbeats; beat_0, refused while running, runs on.
      expect(coordinator.bodies.at(-1)!.events.map((e) => e.attemptId)).toEqual(["beat_0#1", "beat_1#1"]);
      expect(logLines).toContainEqual(expect.objectContaining({ message: "the coordinator no longer wants this attempt; skipping it", attemptId: "beat_2#1" }));
      await lock.unsafe(`COMMIT`);

      await waitUntil(async () => coordinator.results().length === 1, { what: "the results", timeoutMs: 30_000, intervalMs: 10 });
      const [events] = coordinator.results();
      expect(events!.map((e) => [e.event, e.attemptId])).toEqual([
        ["succeeded", "beat_0#1"],
        ["succeeded", "beat_1#1"],
      ]);
      await expectCopied(jobs[0]!, events![0]);
      await expectCopied(jobs[1]!, events![1]);
      const before = coordinator.bodies.length;
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(coordinator.bodies).toHaveLength(before);
      expect(coordinator.bodies.at(-1)!.events[0]!.event).toBe("succeeded");
      expect(r.active).toBe(3);
      releaseResults();
      await idle(r);
      expect(await tableDigest(dbs.target, ref("beat_2"))).toEqual({ count: 0, md5: null });
      // The skipped attempt is done with here: it is not run on a redelivery either.
      expect(r.accept(jobs[2])).toEqual({ started: false });
    } finally {
      releaseResults();
      lock.release();
    }
  });

  it("on shutdown hands the jobs not started yet back as retryable failures, and lets the running one finish", async () => {
    await startCoordinator();
    const jobs = await tables("stop", [50, 60, 70]);
    const lock = await dbs.source.reserve();
    const r = runner();
    try {
      await lock.unsafe(`BEGIN; LOCK TABLE stop_0 IN ACCESS EXCLUSIVE MODE`);
      // accept() has started the first job (it waits for the lock) by the time it returns.
      expect(r.accept({ type: "batch", jobs })).toEqual({ started: true });
      const stopped = r.stopAll(30_000);
      await lock.unsafe(`COMMIT`);
      await stopped;
      expect(r.active).toBe(0);
      const [events] = coordinator.results();
      expect(events!.map((e) => [e.event, e.attemptId])).toEqual([
        ["succeeded", "stop_0#1"],
        ["failed", "stop_1#1"],
        ["failed", "stop_2#1"],
      ]);
      await expectCopied(jobs[0]!, events![0]);
      expect(events![1]).toMatchObject({ error: { code: "RUNNER_STOPPING", retryable: true } });
      expect(await tableDigest(dbs.target, ref("stop_1"))).toEqual({ count: 0, md5: null });
    } finally {
      lock.release();
    }
  });
});
