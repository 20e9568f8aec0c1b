import { createExecutionContext, createMessageBatch, env, getQueueResult, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../worker/src/index";
import { signUp } from "./support/client";

async function deliver(queue: string, bodies: unknown[]) {
  const batch = createMessageBatch(
    queue,
    bodies.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

describe("chunk queue consumer", () => {
  it("acknowledges malformed messages and attempts nobody waits for", async () => {
    const result = await deliver("dtaas-chunks", [{ nope: true }, "text", { taskId: "tsk_x", runId: "run_x", attemptId: "run_x/prepare#1" }]);
    expect(result.explicitAcks.sort()).toEqual(["m0", "m1", "m2"]);
    expect(result.retryMessages).toEqual([]);
  });

  it("redelivers with a delay when the runner cannot be reached, and the dead-letter consumer fails the attempt", async () => {
    const { client } = await signUp();
    const s = (await client.post("/connectors", { name: "s", url: "postgres://u:p@127.0.0.1:1/s" })).json.id;
    const t = (await client.post("/connectors", { name: "t", url: "postgres://u:p@127.0.0.1:1/t" })).json.id;
    const task = (await client.post("/tasks", { name: "q", sourceId: s, targetId: t, options: { maxRetries: 0 } })).json;
    const { runId } = (await client.post(`/tasks/${task.id}/start`)).json;
    const stub = env.TASK_COORDINATOR.get(env.TASK_COORDINATOR.idFromName(task.id));
    const attemptId = await runInDurableObject(stub, (_, state) => state.storage.sql.exec<{ a: string }>("SELECT attempt_id AS a FROM jobs WHERE key = 'prepare'").one().a);
    const message = { taskId: task.id, runId, attemptId };

    const result = await deliver("dtaas-chunks", [message]);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["m0"]);

    const dead = await deliver("dtaas-chunks-dlq", [message]);
    expect(dead.explicitAcks).toEqual(["m0"]);
    const run = (await client.get(`/runs/${runId}`)).json;
    expect(run).toMatchObject({ status: "failed", error: { code: "RUNNER_UNAVAILABLE" } });
  });

  it("takes a batch message's attempts together: redelivers them as one, and the dead-letter consumer fails each", async () => {
    const { client } = await signUp();
    const s = (await client.post("/connectors", { name: "s", url: "postgres://u:p@127.0.0.1:1/s" })).json.id;
    const t = (await client.post("/connectors", { name: "t", url: "postgres://u:p@127.0.0.1:1/t" })).json.id;
    const task = (await client.post("/tasks", { name: "q", sourceId: s, targetId: t, options: { maxRetries: 3, retryDelaySeconds: 60 } })).json;
    const { runId } = (await client.post(`/tasks/${task.id}/start`)).json;
    const stub = env.TASK_COORDINATOR.get(env.TASK_COORDINATOR.idFromName(task.id));
    const prepare = await runInDurableObject(stub, (_, state) => state.storage.sql.exec<{ a: string }>("SELECT attempt_id AS a FROM jobs WHERE key = 'prepare'").one().a);
    const table = (name: string) => ({
      table: { schema: "public", name, columns: [], primaryKey: [], estimatedRows: 1, sizeBytes: 8192 },
      targetTable: { schema: "public", name },
      created: true,
      chunks: [{ index: 0, lo: null, hi: null, wholeTable: true }],
    });
    await stub.runnerEvent({ event: "succeeded", taskId: task.id, runId, attemptId: prepare, outcome: { type: "prepare", tables: [table("a"), table("b")] } });
    const attemptIds = await runInDurableObject(stub, (_, state) => state.storage.sql.exec<{ a: string }>("SELECT attempt_id AS a FROM jobs WHERE kind = 'copy' ORDER BY key").toArray().map((r) => r.a));
    expect(attemptIds).toHaveLength(2);
    const message = { taskId: task.id, runId, attemptId: attemptIds[0], attemptIds };

    const result = await deliver("dtaas-chunks", [message]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["m0"]);

    const dead = await deliver("dtaas-chunks-dlq", [message]);
    expect(dead.explicitAcks).toEqual(["m0"]);
    const jobs = await runInDurableObject(stub, (_, state) => state.storage.sql.exec<{ status: string; error_code: string }>("SELECT status, error_code FROM jobs WHERE kind = 'copy' ORDER BY key").toArray());
    expect(jobs).toEqual([
      { status: "pending", error_code: "RUNNER_UNAVAILABLE" },
      { status: "pending", error_code: "RUNNER_UNAVAILABLE" },
    ]);
  });
});
