import { abortAllDurableObjects, env, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { PreparedTable } from "../../engine/jobs/protocol";
import { signUp } from "./support/client";

type JobRow = { key: string; kind: string; status: string; attempt: number; attempt_id: string | null; clean_range: number; rows: number };

const column = (name: string, dataType = "integer", position = 1) => ({
  name,
  position,
  dataType,
  typeSchema: "pg_catalog",
  typeName: dataType === "integer" ? "int4" : "text",
  typeKind: "b" as const,
  isArray: false,
  nullable: false,
  defaultExpr: null,
  generated: "" as const,
  identity: "" as const,
});

function prepared(name: string, chunks: number, sizeBytes = 8192): PreparedTable {
  return {
    table: { schema: "public", name, columns: [column("id")], primaryKey: ["id"], estimatedRows: chunks * 100, sizeBytes },
    targetTable: { schema: "public", name },
    created: true,
    chunks: Array.from({ length: chunks }, (_, i) => ({
      index: i,
      lo: i === 0 ? null : [String(i * 100)],
      hi: i === chunks - 1 ? null : [String((i + 1) * 100)],
      wholeTable: false,
    })),
  };
}

/**
 * A change capture task on a real source database (`ddl` in it) whose publication and slot exist as
 * prepare would have made them, started: the run waits for its prepare job.
 */
async function startCdcRun(label: string, mode: "cdc" | "full_load_and_cdc", tables: string[], ddl: string) {
  const { cdcNames } = await import("../../engine/cdc/slot");
  const { adminSql, createDatabase, pgUrlFor } = await import("./support/postgres");
  const db = await createDatabase(label, (sql) => sql.unsafe(ddl));
  const { client } = await signUp();
  const source = (await client.post("/connectors", { name: "s", url: pgUrlFor(db) })).json.id;
  const target = (await client.post("/connectors", { name: "t", url: "postgres://u:p@127.0.0.1:1/t" })).json.id;
  const task = (await client.post("/tasks", { name: "c", sourceId: source, targetId: target, mode, options: { retryDelaySeconds: 0 } })).json;
  const names = cdcNames(task.id);
  const sql = adminSql(db);
  await sql.unsafe(`create publication "${names.publication}" for table ${tables.map((t) => `public.${t}`).join(", ")}`);
  const [slot] = await sql.unsafe<{ lsn: string }[]>(`select lsn::text from pg_create_logical_replication_slot('${names.slot}', 'pgoutput')`);
  const { runId } = (await client.post(`/tasks/${task.id}/start`)).json;
  const stub = env.TASK_COORDINATOR.get(env.TASK_COORDINATOR.idFromName(task.id));
  const cdc = { slot: names.slot, publication: names.publication, consistentPoint: slot!.lsn };
  return { client, task, runId: runId as string, stub, names, sql, cdc };
}

async function startRun(options: Record<string, unknown> = {}) {
  const { client } = await signUp();
  const source = (await client.post("/connectors", { name: "s", url: "postgres://u:source-pw@127.0.0.1:1/s" })).json.id;
  const target = (await client.post("/connectors", { name: "t", url: "postgres://u:target-pw@127.0.0.1:1/t" })).json.id;
  const task = (await client.post("/tasks", { name: "t", sourceId: source, targetId: target, options: { retryDelaySeconds: 0, ...options } })).json;
  const started = await client.post(`/tasks/${task.id}/start`);
  expect(started.status).toBe(202);
  const stub = env.TASK_COORDINATOR.get(env.TASK_COORDINATOR.idFromName(task.id));
  return { client, task, runId: started.json.runId as string, stub };
}

type Stub = Awaited<ReturnType<typeof startRun>>["stub"];

const jobs = (stub: Stub) =>
  runInDurableObject(stub, (_, state) => state.storage.sql.exec<JobRow>("SELECT key, kind, status, attempt, attempt_id, clean_range, rows FROM jobs ORDER BY key").toArray());

async function attemptOf(stub: Stub, key: string) {
  const j = (await jobs(stub)).find((r) => r.key === key);
  if (!j?.attempt_id) throw new Error(`job ${key} not dispatched: ${JSON.stringify(j)}`);
  return j.attempt_id;
}

/** The runner's payload for one queued attempt, or null when the coordinator no longer wants it. */
const payloadOf = async (stub: Stub, attemptId: string) => (await stub.jobsFor([attemptId])).jobs[0] ?? null;

const ids = (task: { id: string }, runId: string, attemptId: string) => ({ taskId: task.id, runId, attemptId });
const chunkKey = (table: string, i: number) => `copy:${JSON.stringify(["public", table])}:${i}`;
const finishKey = (table: string) => `finish:${JSON.stringify(["public", table])}`;

async function succeedCopy(stub: Stub, task: { id: string }, runId: string, key: string, rows = 100) {
  const attemptId = await attemptOf(stub, key);
  return stub.runnerEvent({ event: "succeeded", ...ids(task, runId, attemptId), outcome: { type: "copy_chunk", rows, bytes: rows * 10, checksum: { rows, hash: `h${rows}` } } });
}

/** Finishes a table with target checksums equal to its copies' source checksums (or those given). */
async function succeedFinish(stub: Stub, task: { id: string }, runId: string, table: string, checksums?: { index: number; rows: number; hash: string }[]) {
  const copied = await runInDurableObject(stub, (_, state) =>
    state.storage.sql
      .exec<{ chunk_idx: number; checksum: string }>("SELECT chunk_idx, checksum FROM jobs WHERE kind = 'copy' AND table_key = ?", JSON.stringify(["public", table]))
      .toArray(),
  );
  const equal = copied.map((c) => ({ index: c.chunk_idx, ...(JSON.parse(c.checksum) as { rows: number; hash: string }) }));
  const attemptId = await attemptOf(stub, finishKey(table));
  return stub.runnerEvent({ event: "succeeded", ...ids(task, runId, attemptId), outcome: { type: "finish_table", checksums: checksums ?? equal } });
}

describe("TaskCoordinator", () => {
  it("plans through the runner, dispatches within limits, finishes tables and writes the run to D1", async () => {
    const { client, task, runId, stub } = await startRun({ parallelTables: 1 });
    const prepareAttempt = await attemptOf(stub, "prepare");
    expect((await client.get(`/runs/${runId}`)).json).toMatchObject({ status: "running", phase: "planning" });

    await stub.runnerEvent({ event: "succeeded", ...ids(task, runId, prepareAttempt), outcome: { type: "prepare", tables: [prepared("a", 3), prepared("b", 1)] } });
    let rows = await jobs(stub);
    // One table at a time, two chunks of it in flight.
    expect(rows.filter((j) => j.status === "dispatched").map((j) => j.key)).toEqual([chunkKey("a", 0), chunkKey("a", 1)]);

    await succeedCopy(stub, task, runId, chunkKey("a", 0));
    expect((await jobs(stub)).find((j) => j.key === chunkKey("a", 2))!.status).toBe("dispatched");
    await succeedCopy(stub, task, runId, chunkKey("a", 1));
    await succeedCopy(stub, task, runId, chunkKey("a", 2), 50);
    rows = await jobs(stub);
    expect(rows.find((j) => j.key === finishKey("a"))!.status).toBe("dispatched");
    expect(rows.find((j) => j.key === chunkKey("b", 0))!.status).toBe("pending");

    await succeedFinish(stub, task, runId, "a");
    await succeedCopy(stub, task, runId, chunkKey("b", 0), 7);
    await succeedFinish(stub, task, runId, "b");

    const run = (await client.get(`/runs/${runId}`)).json;
    expect(run).toMatchObject({ status: "succeeded", phase: "done", rowsCopied: 257, bytesCopied: 2570, error: null });
    expect(run.tables.map((t: { sourceTable: string; rowsCopied: number; chunksDone: number; chunksTotal: number; status: string; validation: string }) => [t.sourceTable, t.rowsCopied, t.chunksDone, t.chunksTotal, t.status, t.validation])).toEqual([
      ["a", 250, 3, 3, "succeeded", "passed"],
      ["b", 7, 1, 1, "succeeded", "passed"],
    ]);
    expect(run.finishedAt).toBeGreaterThanOrEqual(run.startedAt);
    const logs = (await client.get(`/runs/${runId}/logs`)).json.items.map((l: { message: string }) => l.message);
    expect(logs).toContain("run started");
    expect(logs).toContain("run succeeded");
    expect(JSON.stringify(logs)).not.toContain("source-pw");
  });

  it("recreates foreign keys once every table is finished, then succeeds, reporting keys it did not add", async () => {
    const { client, task, runId, stub } = await startRun();
    await stub.runnerEvent({ event: "succeeded", ...ids(task, runId, await attemptOf(stub, "prepare")), outcome: { type: "prepare", tables: [prepared("a", 1), prepared("b", 1)], foreignKeys: 2 } });
    await succeedCopy(stub, task, runId, chunkKey("a", 0));
    await succeedCopy(stub, task, runId, chunkKey("b", 0));
    await succeedFinish(stub, task, runId, "a");
    expect((await jobs(stub)).find((j) => j.key === "foreign_keys")!.status).toBe("pending");
    await succeedFinish(stub, task, runId, "b");
    expect((await jobs(stub)).find((j) => j.key === "foreign_keys")!.status).toBe("dispatched");
    expect((await client.get(`/runs/${runId}`)).json).toMatchObject({ status: "running", phase: "finishing" });

    const payload = await payloadOf(stub, await attemptOf(stub, "foreign_keys"));
    expect(payload).toMatchObject({ type: "foreign_keys", tables: [{ table: { schema: "public", name: "a" }, targetTable: { schema: "public", name: "a" }, created: true }, { table: { schema: "public", name: "b" } }] });
    const skipped = [{ constraint: "b_x_fkey", reason: "references public.x, which this task does not copy" }];
    await stub.runnerEvent({ event: "succeeded", ...ids(task, runId, await attemptOf(stub, "foreign_keys")), outcome: { type: "foreign_keys", added: 1, skipped } });
    expect((await client.get(`/runs/${runId}`)).json).toMatchObject({ status: "succeeded", phase: "done" });
    const logs = (await client.get(`/runs/${runId}/logs`)).json.items;
    expect(logs.find((l: { message: string }) => l.message === "constraints not copied").fields).toEqual({ skipped });
    expect(logs.find((l: { message: string }) => l.message === "foreign keys added").fields).toEqual({ added: 1 });
  });

  it("retries a retryable failure with the range cleaned, ignores the superseded attempt, and fails fatally with the code", async () => {
    const { client, task, runId, stub } = await startRun({ maxRetries: 1 });
    await stub.runnerEvent({ event: "succeeded", ...ids(task, runId, await attemptOf(stub, "prepare")), outcome: { type: "prepare", tables: [prepared("a", 1)] } });
    const first = await attemptOf(stub, chunkKey("a", 0));
    await stub.runnerEvent({ event: "failed", ...ids(task, runId, first), error: { code: "DATABASE_UNREACHABLE", message: "reset", retryable: true } });
    let job = (await jobs(stub)).find((j) => j.key === chunkKey("a", 0))!;
    expect(job).toMatchObject({ status: "dispatched", attempt: 2, clean_range: 1 });
    expect(job.attempt_id).not.toBe(first);
    // A late report from the first attempt changes nothing.
    expect(await stub.runnerEvent({ event: "succeeded", ...ids(task, runId, first), outcome: { type: "copy_chunk", rows: 1, bytes: 1, checksum: null } })).toEqual({ accepted: false });
    await stub.runnerEvent({ event: "failed", ...ids(task, runId, job.attempt_id!), error: { code: "DATABASE_UNREACHABLE", message: "reset again", retryable: true } });
    const run = (await client.get(`/runs/${runId}`)).json;
    expect(run).toMatchObject({ status: "failed", error: { code: "DATABASE_UNREACHABLE" } });
    expect(run.tables[0]).toMatchObject({ status: "failed", error: { code: "DATABASE_UNREACHABLE" } });
    job = (await jobs(stub)).find((j) => j.key === chunkKey("a", 0))!;
    expect(job.status).toBe("failed");
  });

  it("hands a chunk out without clearing its range only once: a redelivery of the same attempt clears it", async () => {
    const { task, runId, stub } = await startRun();
    await stub.runnerEvent({ event: "succeeded", ...ids(task, runId, await attemptOf(stub, "prepare")), outcome: { type: "prepare", tables: [prepared("a", 1)] } });
    // The queue consumer delivers the dispatched attempt at once (and asks for its payload first): the
    // attempt is swapped for one it never saw, so the first handout is this test's.
    const attempt = `${runId}/${chunkKey("a", 0)}#1.handout`;
    await runInDurableObject(stub, (_, state) => {
      state.storage.sql.exec("UPDATE jobs SET attempt_id = ?, clean_range = 0 WHERE key = ?", attempt, chunkKey("a", 0));
    });
    const first = await payloadOf(stub, attempt);
    expect(first).toMatchObject({ type: "copy_chunk", cleanRange: false });
    // The runner may have committed the first delivery and restarted (forgetting the attempt id) before
    // the queue delivers the message again: without clearing, the rows would be there twice.
    const again = await payloadOf(stub, attempt);
    expect(again).toMatchObject({ type: "copy_chunk", attemptId: attempt, cleanRange: true });
  });

  it("a fatal error fails the run at once", async () => {
    const { client, task, runId, stub } = await startRun();
    await stub.runnerEvent({ event: "failed", ...ids(task, runId, await attemptOf(stub, "prepare")), error: { code: "AUTH_FAILED", message: "password authentication failed", retryable: false } });
    expect((await client.get(`/runs/${runId}`)).json).toMatchObject({ status: "failed", error: { code: "AUTH_FAILED" } });
    const again = await client.post(`/tasks/${task.id}/start`);
    expect(again.status).toBe(202);
  });

  it("re-copies a chunk whose target checksum differs, finishes the table again, then fails with VALIDATION_FAILED naming the table", async () => {
    const { client, task, runId, stub } = await startRun();
    await stub.runnerEvent({ event: "succeeded", ...ids(task, runId, await attemptOf(stub, "prepare")), outcome: { type: "prepare", tables: [prepared("a", 2)] } });
    await succeedCopy(stub, task, runId, chunkKey("a", 0), 10);
    await succeedCopy(stub, task, runId, chunkKey("a", 1), 10);
    const bad = [{ index: 0, rows: 10, hash: "h10" }, { index: 1, rows: 10, hash: "other" }];
    await succeedFinish(stub, task, runId, "a", bad);
    let rows = await jobs(stub);
    // Only the differing chunk again, its range cleared first; the finish comes back once it is copied.
    expect(rows.find((j) => j.key === chunkKey("a", 0))).toMatchObject({ status: "done", attempt: 1 });
    expect(rows.find((j) => j.key === chunkKey("a", 1))).toMatchObject({ status: "dispatched", attempt: 2, clean_range: 1 });
    expect(rows.find((j) => j.key === finishKey("a"))).toBeUndefined();
    expect((await client.get(`/runs/${runId}`)).json).toMatchObject({ status: "running", phase: "copying" });
    await succeedCopy(stub, task, runId, chunkKey("a", 1), 10);
    rows = await jobs(stub);
    expect(rows.find((j) => j.key === finishKey("a"))).toMatchObject({ status: "dispatched", attempt: 1 });
    await succeedFinish(stub, task, runId, "a", bad);
    const run = (await client.get(`/runs/${runId}`)).json;
    expect(run.status).toBe("failed");
    expect(run.error.code).toBe("VALIDATION_FAILED");
    expect(run.error.message).toContain("public.a");
    expect(run.tables[0].validation).toBe("failed");
    const logs = (await client.get(`/runs/${runId}/logs`)).json.items.map((l: { message: string }) => l.message);
    expect(logs.filter((m: string) => m === "checksum mismatch; copying the chunk again")).toHaveLength(1);
  });

  it("writes every log line of one event to D1, in order, after dispatching what the event allows", async () => {
    const { client, task, runId, stub } = await startRun();
    await stub.runnerEvent({ event: "succeeded", ...ids(task, runId, await attemptOf(stub, "prepare")), outcome: { type: "prepare", tables: [prepared("m", 40)] } });
    for (let i = 0; i < 40; i++) await succeedCopy(stub, task, runId, chunkKey("m", i), 10);
    const wrong = Array.from({ length: 40 }, (_, index) => ({ index, rows: 10, hash: "other" }));
    await succeedFinish(stub, task, runId, "m", wrong);
    expect((await jobs(stub)).filter((j) => j.status === "dispatched").map((j) => j.key)).toEqual([chunkKey("m", 0), chunkKey("m", 1)]);
    const logs = (await client.get(`/runs/${runId}/logs?limit=500`)).json.items as { message: string; fields: { chunk: { index: number } } }[];
    const mismatches = logs.filter((l) => l.message === "checksum mismatch; copying the chunk again");
    expect(mismatches.map((l) => l.fields.chunk.index)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(logs.map((l) => l.message).slice(0, 2)).toEqual(["run started", "planned"]);
  });

  it("writes to D1 only the tables an event changed, and every table again after an eviction", async () => {
    const { client, task, runId, stub } = await startRun({ parallelTables: 1 });
    const names = Array.from({ length: 30 }, (_, i) => `t${String(i).padStart(2, "0")}`);
    // Too big to batch: one table at a time.
    const big = 16 * 1024 * 1024;
    await stub.runnerEvent({ event: "succeeded", ...ids(task, runId, await attemptOf(stub, "prepare")), outcome: { type: "prepare", tables: names.map((n) => prepared(n, 1, big)) } });
    const stamps = async () =>
      new Map(
        (await env.DB.prepare("SELECT source_table AS t, updated_at AS at FROM run_tables WHERE run_id = ?").bind(runId).all<{ t: string; at: number }>()).results.map((r) => [r.t, r.at]),
      );
    const before = await stamps();
    expect(before.size).toBe(30);
    await new Promise((r) => setTimeout(r, 5));
    await stub.runnerEvent({
      event: "succeeded",
      ...ids(task, runId, await attemptOf(stub, chunkKey("t00", 0))),
      outcome: { type: "copy_chunk", rows: 10, bytes: 100, checksum: { rows: 10, hash: "h" }, finish: { skipped: [], checksums: [{ index: 0, rows: 10, hash: "h" }] } },
    });
    const after = await stamps();
    const changed = names.filter((n) => after.get(n) !== before.get(n));
    // The finished table and the one that took its place.
    expect(changed).toEqual(["t00", "t01"]);
    const run = (await client.get(`/runs/${runId}`)).json;
    expect(run.tables.filter((t: { status: string }) => t.status === "succeeded").map((t: { sourceTable: string }) => t.sourceTable)).toEqual(["t00"]);
    expect(run.tables.find((t: { sourceTable: string }) => t.sourceTable === "t01").status).toBe("copying");

    await abortAllDurableObjects();
    await new Promise((r) => setTimeout(r, 5));
    await runDurableObjectAlarm(env.TASK_COORDINATOR.get(env.TASK_COORDINATOR.idFromName(task.id)));
    const again = await stamps();
    expect(names.filter((n) => again.get(n) === after.get(n))).toEqual([]);
  });

  it("re-copies a chunk, then passes validation when the checksums agree", async () => {
    const { client, task, runId, stub } = await startRun();
    await stub.runnerEvent({ event: "succeeded", ...ids(task, runId, await attemptOf(stub, "prepare")), outcome: { type: "prepare", tables: [prepared("a", 1)] } });
    await succeedCopy(stub, task, runId, chunkKey("a", 0), 10);
    await succeedFinish(stub, task, runId, "a", [{ index: 0, rows: 9, hash: "h10" }]);
    await succeedCopy(stub, task, runId, chunkKey("a", 0), 10);
    await succeedFinish(stub, task, runId, "a");
    const run = (await client.get(`/runs/${runId}`)).json;
    expect(run).toMatchObject({ status: "succeeded", rowsCopied: 10 });
    expect(run.tables[0].validation).toBe("passed");
  });

  it("has a table's only chunk finish the table in the same job: validated, re-copied on a mismatch, failed on a second", async () => {
    const { client, task, runId, stub } = await startRun();
    await stub.runnerEvent({ event: "succeeded", ...ids(task, runId, await attemptOf(stub, "prepare")), outcome: { type: "prepare", tables: [prepared("a", 2), prepared("b", 1), prepared("c", 1)] } });
    expect(await payloadOf(stub, await attemptOf(stub, chunkKey("a", 0)))).toMatchObject({ type: "copy_chunk", finish: null });
    expect(await payloadOf(stub, await attemptOf(stub, chunkKey("b", 0)))).toMatchObject({ type: "copy_chunk", validate: true, finish: { created: true, checksum: true } });
    const copiedAndFinished = async (table: string, hash: string) =>
      stub.runnerEvent({
        event: "succeeded",
        ...ids(task, runId, await attemptOf(stub, chunkKey(table, 0))),
        outcome: { type: "copy_chunk", rows: 10, bytes: 100, checksum: { rows: 10, hash: "h10" }, finish: { skipped: [], checksums: [{ index: 0, rows: 10, hash }] } },
      });

    await copiedAndFinished("b", "h10");
    let rows = await jobs(stub);
    expect(rows.find((j) => j.key === chunkKey("b", 0))).toMatchObject({ status: "done", attempt: 1 });
    expect(rows.find((j) => j.key === finishKey("b"))).toBeUndefined();
    let run = (await client.get(`/runs/${runId}`)).json;
    expect(run.tables.find((t: { sourceTable: string }) => t.sourceTable === "b")).toMatchObject({ status: "succeeded", validation: "passed" });

    await copiedAndFinished("c", "other");
    rows = await jobs(stub);
    expect(rows.find((j) => j.key === chunkKey("c", 0))).toMatchObject({ status: "dispatched", attempt: 2, clean_range: 1 });
    expect(await payloadOf(stub, await attemptOf(stub, chunkKey("c", 0)))).toMatchObject({ cleanRange: true, finish: { created: true, checksum: true } });
    await copiedAndFinished("c", "other");
    run = (await client.get(`/runs/${runId}`)).json;
    expect(run).toMatchObject({ status: "failed", error: { code: "VALIDATION_FAILED" } });
    expect(run.error.message).toContain("public.c");
    expect(run.tables.find((t: { sourceTable: string }) => t.sourceTable === "c")).toMatchObject({ status: "failed", validation: "failed" });
  });

  it("hands small one-chunk tables out as one batch in one lane, takes their results in one report, and retries a failed one alone", async () => {
    const { client, task, runId, stub } = await startRun({ parallelTables: 1 });
    const small = ["s1", "s2", "s3", "s4"];
    const tables = [...small.map((n) => prepared(n, 1)), prepared("big", 1, 16 * 1024 * 1024)];
    await stub.runnerEvent({ event: "succeeded", ...ids(task, runId, await attemptOf(stub, "prepare")), outcome: { type: "prepare", tables } });
    const lanes = await runInDurableObject(stub, (_, state) => state.storage.sql.exec<{ key: string; status: string; lane: string | null }>("SELECT key, status, lane FROM jobs WHERE kind = 'copy' ORDER BY key").toArray());
    // The big table waits: the batch holds the only lane.
    expect(lanes).toEqual([
      { key: chunkKey("big", 0), status: "pending", lane: null },
      ...small.map((n) => ({ key: chunkKey(n, 0), status: "dispatched", lane: chunkKey("s1", 0) })),
    ]);
    const attempts = await Promise.all(small.map((n) => attemptOf(stub, chunkKey(n, 0))));
    const { jobs: payloads } = (await stub.jobsFor([...attempts, "run_x/unknown#1.00000000"])) as { jobs: { attemptId: string; type: string; table: { name: string } }[] };
    expect(payloads.map((p) => [p.attemptId, p.type, p.table.name])).toEqual(small.map((n, i) => [attempts[i], "copy_chunk", n]));

    const done = (attemptId: string) => ({
      event: "succeeded",
      ...ids(task, runId, attemptId),
      outcome: { type: "copy_chunk", rows: 10, bytes: 100, checksum: { rows: 10, hash: "h10" }, finish: { skipped: [], checksums: [{ index: 0, rows: 10, hash: "h10" }] } },
    });
    const heartbeat = await stub.runnerEvents(attempts.map((a) => ({ event: "progress", ...ids(task, runId, a), rows: 0, bytes: 0 })));
    expect(heartbeat).toEqual({ accepted: [true, true, true, true] });
    const failed = { event: "failed", ...ids(task, runId, attempts[2]!), error: { code: "DATABASE_UNREACHABLE", message: "reset", retryable: true } };
    const answer = await stub.runnerEvents([done(attempts[0]!), done(attempts[1]!), failed, done(attempts[3]!), done("run_x/unknown#1.00000000")]);
    expect(answer).toEqual({ accepted: [true, true, true, true, false] });

    let run = (await client.get(`/runs/${runId}`)).json;
    expect(run.tables.map((t: { sourceTable: string; status: string; validation: string }) => [t.sourceTable, t.status, t.validation])).toEqual([
      ["big", "pending", "pending"],
      ["s1", "succeeded", "passed"],
      ["s2", "succeeded", "passed"],
      ["s3", "copying", "pending"],
      ["s4", "succeeded", "passed"],
    ]);
    // The retry goes alone, in the lane the batch freed; the big table waits for it.
    let rows = await runInDurableObject(stub, (_, state) => state.storage.sql.exec<{ key: string; status: string; attempt: number; lane: string | null; clean_range: number }>("SELECT key, status, attempt, lane, clean_range FROM jobs WHERE key IN (?, ?)", chunkKey("s3", 0), chunkKey("big", 0)).toArray());
    expect(rows.sort((a, b) => a.key.localeCompare(b.key))).toEqual([
      { key: chunkKey("big", 0), status: "pending", attempt: 0, lane: null, clean_range: 0 },
      { key: chunkKey("s3", 0), status: "dispatched", attempt: 2, lane: null, clean_range: 1 },
    ]);
    await stub.runnerEvents([done(await attemptOf(stub, chunkKey("s3", 0)))]);
    rows = await runInDurableObject(stub, (_, state) => state.storage.sql.exec<{ key: string; status: string; attempt: number; lane: string | null; clean_range: number }>("SELECT key, status, attempt, lane, clean_range FROM jobs WHERE key = ?", chunkKey("big", 0)).toArray());
    expect(rows).toEqual([{ key: chunkKey("big", 0), status: "dispatched", attempt: 1, lane: null, clean_range: 0 }]);
    await stub.runnerEvent(done(await attemptOf(stub, chunkKey("big", 0))));
    run = (await client.get(`/runs/${runId}`)).json;
    expect(run).toMatchObject({ status: "succeeded", rowsCopied: 50 });
    expect(run.tables.every((t: { validation: string }) => t.validation === "passed")).toBe(true);
  });

  it("takes a batch of runner events at /internal/runner/events, all of one task", async () => {
    const { task, runId, stub } = await startRun();
    const prepare = await attemptOf(stub, "prepare");
    const post = (body: unknown) =>
      SELF.fetch("http://localhost/internal/runner/events", { method: "POST", headers: { authorization: `Bearer ${env.RUNNER_TOKEN}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    const progress = { event: "progress", ...ids(task, runId, prepare), rows: 0, bytes: 0 };
    const mixed = await post({ taskId: task.id, events: [progress, { ...progress, taskId: "tsk_other" }] });
    expect(mixed.status).toBe(400);
    expect(((await mixed.json()) as { error: { code: string } }).error.code).toBe("VALIDATION_FAILED");
    const res = await post({ taskId: task.id, events: [progress, { ...progress, attemptId: "someone-else" }] });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: [true, false] });
  });

  it("finishes a one-chunk table in its copy job without validation, and with a separate finish job for a runner that did not", async () => {
    const { client, task, runId, stub } = await startRun({ validate: false });
    await stub.runnerEvent({ event: "succeeded", ...ids(task, runId, await attemptOf(stub, "prepare")), outcome: { type: "prepare", tables: [prepared("a", 1), prepared("b", 1)] } });
    expect(await payloadOf(stub, await attemptOf(stub, chunkKey("a", 0)))).toMatchObject({ validate: false, finish: { created: true, checksum: false } });
    const skipped = [{ constraint: "a_check", reason: "function f() does not exist" }];
    await stub.runnerEvent({
      event: "succeeded",
      ...ids(task, runId, await attemptOf(stub, chunkKey("a", 0))),
      outcome: { type: "copy_chunk", rows: 4, bytes: 40, checksum: null, finish: { skipped, checksums: null } },
    });
    // An older runner ignores `finish` and reports the copy alone: the table is finished by a job of its own.
    await stub.runnerEvent({ event: "succeeded", ...ids(task, runId, await attemptOf(stub, chunkKey("b", 0))), outcome: { type: "copy_chunk", rows: 3, bytes: 30, checksum: null } });
    expect((await jobs(stub)).find((j) => j.key === finishKey("b"))).toMatchObject({ status: "dispatched" });
    expect((await client.get(`/runs/${runId}`)).json).toMatchObject({ status: "running", phase: "finishing" });
    await stub.runnerEvent({ event: "succeeded", ...ids(task, runId, await attemptOf(stub, finishKey("b"))), outcome: { type: "finish_table", checksums: null } });
    const run = (await client.get(`/runs/${runId}`)).json;
    expect(run).toMatchObject({ status: "succeeded", phase: "done", rowsCopied: 7 });
    expect(run.tables.map((t: { validation: string }) => t.validation)).toEqual(["skipped", "skipped"]);
    const logs = (await client.get(`/runs/${runId}/logs`)).json.items;
    expect(logs.find((l: { message: string }) => l.message === "constraints not copied").fields).toEqual({ table: "public.a", skipped });
  });

  it("retries an attempt whose runner went silent once its lease expires", async () => {
    const { task, runId, stub } = await startRun();
    const first = await attemptOf(stub, "prepare");
    await runInDurableObject(stub, (_, state) => {
      state.storage.sql.exec("UPDATE jobs SET lease_until = ? WHERE key = 'prepare'", Date.now() - 1);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const job = (await jobs(stub)).find((j) => j.key === "prepare")!;
    expect(job.attempt).toBe(2);
    expect(job.attempt_id).not.toBe(first);
    expect(await stub.runnerEvent({ event: "progress", ...ids(task, runId, first), rows: 1, bytes: 1 })).toEqual({ accepted: false });
  });

  it("resumes after eviction without dispatching finished chunks again", async () => {
    const { client, task, runId, stub } = await startRun({ parallelTables: 1 });
    await stub.runnerEvent({ event: "succeeded", ...ids(task, runId, await attemptOf(stub, "prepare")), outcome: { type: "prepare", tables: [prepared("a", 4)] } });
    await succeedCopy(stub, task, runId, chunkKey("a", 0));
    await succeedCopy(stub, task, runId, chunkKey("a", 1));
    await abortAllDurableObjects();
    const fresh = env.TASK_COORDINATOR.get(env.TASK_COORDINATOR.idFromName(task.id));
    for (const i of [2, 3]) await succeedCopy(fresh, task, runId, chunkKey("a", i));
    await succeedFinish(fresh, task, runId, "a");
    const rows = await jobs(fresh);
    expect(rows.filter((j) => j.kind === "copy").map((j) => j.attempt)).toEqual([1, 1, 1, 1]);
    expect((await client.get(`/runs/${runId}`)).json).toMatchObject({ status: "succeeded", rowsCopied: 400 });
  });

  it("stops a run: status stopped, later reports ignored, a second start allowed", async () => {
    const { client, task, runId, stub } = await startRun();
    const attempt = await attemptOf(stub, "prepare");
    const running = await client.post(`/tasks/${task.id}/start`);
    expect(running.status).toBe(409);
    expect(running.json.error.code).toBe("TASK_RUNNING");
    const stopped = await client.post(`/tasks/${task.id}/stop`);
    expect(stopped.json).toEqual({ status: "stopped" });
    expect((await client.get(`/runs/${runId}`)).json.status).toBe("stopped");
    expect(await stub.runnerEvent({ event: "succeeded", ...ids(task, runId, attempt), outcome: { type: "prepare", tables: [] } })).toEqual({ accepted: false });
    expect((await client.post(`/tasks/${task.id}/start`)).status).toBe(202);
  });

  it("refuses a start whose templates name an undefined variable (400 VARIABLE_UNDEFINED)", async () => {
    const { client } = await signUp();
    const s = (await client.post("/connectors", { name: "s", url: "postgres://u:p@127.0.0.1:1/s" })).json.id;
    const t = (await client.post("/connectors", { name: "t", url: "postgres://u:p@127.0.0.1:1/t" })).json.id;
    const task = (await client.post("/tasks", { name: "v", sourceId: s, targetId: t, options: { targetSchema: "${env}_sales" } })).json;
    const res = await client.post(`/tasks/${task.id}/start`);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("VARIABLE_UNDEFINED");
    expect((await client.get(`/tasks/${task.id}/runs`)).json.items).toHaveLength(0);
    expect((await client.post(`/tasks/${task.id}/start`, { variables: { env: "prod" } })).status).toBe(202);
  });

  it("streams progress over the task's WebSocket, at most one message per 500 ms, the latest state always sent", async () => {
    const { client, task, runId, stub } = await startRun({ parallelTables: 16 });
    const cookie = (client as unknown as { auth: { cookie: string } }).auth.cookie;
    const res = await SELF.fetch(`http://dtaas.test/api/v1/tasks/${task.id}/events`, { headers: { upgrade: "websocket", cookie } });
    expect(res.status).toBe(101);
    const ws = res.webSocket!;
    const messages: { type: string; status?: string; phase?: string; rowsCopied?: number; at: number }[] = [];
    ws.addEventListener("message", (e) => messages.push({ ...JSON.parse(e.data as string), at: Date.now() }));
    ws.accept();
    const arrived = async (what: (m: (typeof messages)[number]) => boolean) => {
      for (let i = 0; i < 40 && !messages.some(what); i++) await new Promise((r) => setTimeout(r, 50));
      return messages.some(what);
    };
    // Too big to batch: sixteen tables, each finished by a report of its own.
    const names = Array.from({ length: 16 }, (_, i) => `w${i}`);
    await stub.runnerEvent({ event: "succeeded", ...ids(task, runId, await attemptOf(stub, "prepare")), outcome: { type: "prepare", tables: names.map((n) => prepared(n, 1, 16 * 1024 * 1024)) } });
    expect(messages[0]).toMatchObject({ type: "progress", status: "running", phase: "planning" });
    expect(await arrived((m) => m.phase === "copying")).toBe(true);
    const before = messages.length;
    const burstStart = Date.now();
    for (const n of names.slice(0, 15)) {
      await stub.runnerEvent({
        event: "succeeded",
        ...ids(task, runId, await attemptOf(stub, chunkKey(n, 0))),
        outcome: { type: "copy_chunk", rows: 10, bytes: 100, checksum: { rows: 10, hash: "h" }, finish: { skipped: [], checksums: [{ index: 0, rows: 10, hash: "h" }] } },
      });
    }
    expect(await arrived((m) => m.rowsCopied === 150)).toBe(true);
    const burst = messages.slice(before);
    expect(burst.length).toBeLessThanOrEqual(Math.ceil((Date.now() - burstStart) / 500) + 1);
    for (let i = 1; i < burst.length; i++) expect(burst[i]!.at - burst[i - 1]!.at).toBeGreaterThanOrEqual(400);
    // The end of the run goes out at once.
    const lastReport = Date.now();
    await stub.runnerEvent({
      event: "succeeded",
      ...ids(task, runId, await attemptOf(stub, chunkKey("w15", 0))),
      outcome: { type: "copy_chunk", rows: 10, bytes: 100, checksum: { rows: 10, hash: "h" }, finish: { skipped: [], checksums: [{ index: 0, rows: 10, hash: "h" }] } },
    });
    expect(await arrived((m) => m.status === "succeeded")).toBe(true);
    expect(messages.at(-1)).toMatchObject({ status: "succeeded", rowsCopied: 160 });
    expect(messages.at(-1)!.at - lastReport).toBeLessThan(400);
    ws.close();
    const other = await signUp();
    const denied = await SELF.fetch(`http://dtaas.test/api/v1/tasks/${task.id}/events`, { headers: { upgrade: "websocket", cookie: other.cookie } });
    expect(denied.status).toBe(404);
  });
});

describe("TaskCoordinator change capture", () => {
  it("streams after prepare, records LSN and lag across attempts, and drops the slot and publication when stopped", async () => {
    const { client, task, runId, stub, names, sql, cdc } = await startCdcRun("cdc_do", "cdc", ["a"], "create table public.a (id int primary key)");
    await stub.runnerEvent({ event: "succeeded", ...ids(task, runId, await attemptOf(stub, "prepare")), outcome: { type: "prepare", tables: [{ ...prepared("a", 0), chunks: [] }], cdc } });
    let run = (await client.get(`/runs/${runId}`)).json;
    expect(run).toMatchObject({ status: "running", phase: "streaming", cdc: { slot: names.slot, changesApplied: 0 } });
    expect(run.tables[0].status).toBe("streaming");

    const figures = (changes: number, appliedLsn: string | null) => ({ connected: true, changes, transactions: changes ? 2 : 0, appliedLsn, receivedLsn: "0/3000", lagBytes: 64, lagSeconds: 0.05 });
    const report = async (attemptId: string, cdc: ReturnType<typeof figures>) =>
      stub.runnerEvent({ event: "progress", ...ids(task, runId, attemptId), rows: 0, bytes: 0, cdc });
    const first = await attemptOf(stub, "cdc");
    expect(await report(first, figures(42, "0/1234"))).toEqual({ accepted: true });
    // One long-running attempt: still dispatched, its figures on the run.
    expect((await jobs(stub)).find((j) => j.key === "cdc")).toMatchObject({ status: "dispatched", attempt: 1 });
    run = (await client.get(`/runs/${runId}`)).json;
    expect(run.cdc).toMatchObject({ appliedLsn: "0/1234", receivedLsn: "0/3000", changesApplied: 42, transactionsApplied: 2, lagBytes: 64, lagSeconds: 0.05 });

    // The stream fails: retried on a new attempt, whose figures count on top of the first one's.
    await stub.runnerEvent({ event: "failed", ...ids(task, runId, first), error: { code: "SOURCE_UNREACHABLE", message: "gone", retryable: true } });
    const second = await attemptOf(stub, "cdc");
    expect(second).not.toBe(first);
    expect((await jobs(stub)).find((j) => j.key === "cdc")).toMatchObject({ status: "dispatched", attempt: 2 });
    // A late report of the superseded attempt is refused (its runner then stops streaming).
    expect(await report(first, figures(99, "0/9999"))).toEqual({ accepted: false });
    await report(second, figures(8, "0/2000"));
    await report(second, figures(10, "0/2100"));
    run = (await client.get(`/runs/${runId}`)).json;
    expect(run.cdc).toMatchObject({ appliedLsn: "0/2100", changesApplied: 52, transactionsApplied: 4 });
    // Connected again: a later failure gets the whole retry budget again.
    expect((await jobs(stub)).find((j) => j.key === "cdc")).toMatchObject({ attempt: 1 });
    // A database down for longer than maxRetries (3) attempts does not end a streaming run.
    for (let i = 0; i < 5; i++) {
      await stub.runnerEvent({ event: "failed", ...ids(task, runId, await attemptOf(stub, "cdc")), error: { code: "DATABASE_UNREACHABLE", message: "down", retryable: true } });
    }
    expect((await jobs(stub)).find((j) => j.key === "cdc")).toMatchObject({ status: "dispatched", attempt: 6 });
    expect((await client.get(`/runs/${runId}`)).json).toMatchObject({ status: "running", phase: "streaming" });

    expect((await client.post(`/tasks/${task.id}/stop`)).json).toEqual({ status: "stopped" });
    expect(await report(second, figures(11, "0/2200"))).toEqual({ accepted: false });
    const left = await sql.unsafe(`select slot_name from pg_replication_slots where slot_name = '${names.slot}' union all select pubname from pg_publication where pubname = '${names.publication}'`);
    expect(left).toHaveLength(0);
    expect((await client.delete(`/tasks/${task.id}`)).status).toBe(204);
  });

  it("hands a keyless table's copy snapshot from its copy job to the change stream (full_load_and_cdc)", async () => {
    const ddl = "create table public.a (id int primary key); create table public.k (v text)";
    const { client, task, runId, stub, cdc } = await startCdcRun("cdc_keyless", "full_load_and_cdc", ["a", "k"], ddl);
    const keyless = prepared("k", 1);
    keyless.table.primaryKey = [];
    keyless.chunks = [{ index: 0, lo: null, hi: null, wholeTable: true }];
    await stub.runnerEvent({ event: "succeeded", ...ids(task, runId, await attemptOf(stub, "prepare")), outcome: { type: "prepare", tables: [prepared("a", 1), keyless], cdc } });
    expect(await payloadOf(stub, await attemptOf(stub, chunkKey("a", 0)))).toMatchObject({ recordSnapshot: false });
    expect(await payloadOf(stub, await attemptOf(stub, chunkKey("k", 0)))).toMatchObject({ recordSnapshot: true });
    const seen = { xmin: "750", xmax: "754", xip: ["751"], lsn: "0/16B3748" };
    for (const [table, snapshot] of [["a", null], ["k", seen]] as const) {
      await stub.runnerEvent({
        event: "succeeded",
        ...ids(task, runId, await attemptOf(stub, chunkKey(table, 0))),
        outcome: { type: "copy_chunk", rows: 10, bytes: 100, checksum: { rows: 10, hash: "h" }, finish: { skipped: [], checksums: [{ index: 0, rows: 10, hash: "h" }] }, snapshot },
      });
    }
    expect((await client.get(`/runs/${runId}`)).json).toMatchObject({ status: "running", phase: "streaming" });
    const stream = await payloadOf(stub, await attemptOf(stub, "cdc"));
    expect(stream).toMatchObject({ type: "cdc_stream" });
    expect((stream as { tables: { table: { name: string }; copied: unknown }[] }).tables.map((t) => [t.table.name, t.copied])).toEqual([
      ["a", null],
      ["k", seen],
    ]);
    expect((await client.post(`/tasks/${task.id}/stop`)).json).toEqual({ status: "stopped" });
    expect((await client.delete(`/tasks/${task.id}`)).status).toBe(204);
  });

  it("refuses to delete a task whose slot could not be dropped (409 SLOT_DROP_FAILED)", async () => {
    const { pgUrlFor } = await import("./support/postgres");
    const { client } = await signUp();
    // A source that answers, but whose database is gone: the drop fails with DATABASE_NOT_FOUND.
    const source = (await client.post("/connectors", { name: "s", url: pgUrlFor("no_such_database") })).json.id;
    const target = (await client.post("/connectors", { name: "t", url: "postgres://u:p@127.0.0.1:1/t" })).json.id;
    const task = (await client.post("/tasks", { name: "gone", sourceId: source, targetId: target, mode: "cdc" })).json;
    const { runId } = (await client.post(`/tasks/${task.id}/start`)).json;
    const stub = env.TASK_COORDINATOR.get(env.TASK_COORDINATOR.idFromName(task.id));
    const cdc = { slot: "dtaas_unreachable", publication: "dtaas_unreachable", consistentPoint: "0/1" };
    await stub.runnerEvent({ event: "succeeded", ...ids(task, runId, await attemptOf(stub, "prepare")), outcome: { type: "prepare", tables: [prepared("a", 1)], cdc } });
    await client.post(`/tasks/${task.id}/stop`);
    const res = await client.delete(`/tasks/${task.id}`);
    expect(res.status).toBe(409);
    expect(res.json.error.code).toBe("SLOT_DROP_FAILED");
    expect((await client.get(`/tasks/${task.id}`)).status).toBe(200);
  });
});

describe("cdc.lag_exceeded", () => {
  it("raises the event once when lag crosses the task's threshold, and again after recovering", async () => {
    const { client } = await signUp();
    const hook = (await client.post("/webhooks", { url: "http://127.0.0.1:9/hook", events: ["cdc.lag_exceeded"] })).json;
    const s = (await client.post("/connectors", { name: "s", url: "postgres://u:p@127.0.0.1:1/s" })).json.id;
    const t = (await client.post("/connectors", { name: "t", url: "postgres://u:p@127.0.0.1:1/t" })).json.id;
    const task = (await client.post("/tasks", { name: "lag", sourceId: s, targetId: t, mode: "cdc", options: { cdcLagThresholdSeconds: 2 } })).json;
    const { runId } = (await client.post(`/tasks/${task.id}/start`)).json;
    const stub = env.TASK_COORDINATOR.get(env.TASK_COORDINATOR.idFromName(task.id));
    const cdc = { slot: "dtaas_x", publication: "dtaas_x", consistentPoint: "0/1" };
    await stub.runnerEvent({ event: "succeeded", ...ids(task, runId, await attemptOf(stub, "prepare")), outcome: { type: "prepare", tables: [{ ...prepared("a", 0), chunks: [] }], cdc } });
    const report = async (lagSeconds: number) =>
      stub.runnerEvent({
        event: "progress",
        ...ids(task, runId, await attemptOf(stub, "cdc")),
        rows: 0,
        bytes: 0,
        cdc: { connected: true, changes: 10, transactions: 1, appliedLsn: "0/10", receivedLsn: "0/20", lagBytes: 100, lagSeconds },
      });
    const deliveries = async () => {
      await new Promise((r) => setTimeout(r, 100));
      return (await client.get(`/webhooks/${hook.id}/deliveries`)).json.items as { event: string }[];
    };
    for (const lag of [0.5, 5, 6]) await report(lag);
    expect((await deliveries()).map((d) => d.event)).toEqual(["cdc.lag_exceeded"]);
    for (const lag of [0.2, 7]) await report(lag);
    expect((await deliveries()).map((d) => d.event)).toEqual(["cdc.lag_exceeded", "cdc.lag_exceeded"]);
    const logs = (await client.get(`/runs/${runId}/logs`)).json.items.map((l: { message: string }) => l.message);
    expect(logs.filter((m: string) => m === "change capture lag above the threshold")).toHaveLength(2);
  });

  it("raises the event when the stream stays down longer than the threshold (lag counts from its last report)", async () => {
    const { client } = await signUp();
    const hook = (await client.post("/webhooks", { url: "http://127.0.0.1:9/hook", events: ["cdc.lag_exceeded"] })).json;
    const s = (await client.post("/connectors", { name: "s", url: "postgres://u:p@127.0.0.1:1/s" })).json.id;
    const t = (await client.post("/connectors", { name: "t", url: "postgres://u:p@127.0.0.1:1/t" })).json.id;
    const task = (await client.post("/tasks", { name: "down", sourceId: s, targetId: t, mode: "cdc", options: { cdcLagThresholdSeconds: 1, retryDelaySeconds: 30 } })).json;
    const { runId } = (await client.post(`/tasks/${task.id}/start`)).json;
    const stub = env.TASK_COORDINATOR.get(env.TASK_COORDINATOR.idFromName(task.id));
    const cdc = { slot: "dtaas_y", publication: "dtaas_y", consistentPoint: "0/1" };
    await stub.runnerEvent({ event: "succeeded", ...ids(task, runId, await attemptOf(stub, "prepare")), outcome: { type: "prepare", tables: [{ ...prepared("a", 0), chunks: [] }], cdc } });
    const attempt = await attemptOf(stub, "cdc");
    const figures = { connected: true, changes: 1, transactions: 1, appliedLsn: "0/10", receivedLsn: "0/10", lagBytes: 0, lagSeconds: 0.1 };
    await stub.runnerEvent({ event: "progress", ...ids(task, runId, attempt), rows: 0, bytes: 0, cdc: figures });
    await stub.runnerEvent({ event: "failed", ...ids(task, runId, attempt), error: { code: "DATABASE_UNREACHABLE", message: "down", retryable: true } });
    await runDurableObjectAlarm(stub);
    expect((await client.get(`/webhooks/${hook.id}/deliveries`)).json.items).toEqual([]);
    // The retry is 30 s away; a second and a half later the stream has been down longer than the threshold.
    await new Promise((r) => setTimeout(r, 1500));
    await runDurableObjectAlarm(stub);
    await new Promise((r) => setTimeout(r, 100));
    const deliveries = (await client.get(`/webhooks/${hook.id}/deliveries`)).json.items as { event: string }[];
    expect(deliveries.map((d) => d.event)).toEqual(["cdc.lag_exceeded"]);
    const run = (await client.get(`/runs/${runId}`)).json;
    expect(run.cdc.lagSeconds).toBeGreaterThan(1);
    expect(run.status).toBe("running");
  });
});
