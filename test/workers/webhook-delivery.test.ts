import { createExecutionContext, createMessageBatch, env, getQueueResult, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { and, eq } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import worker from "../../worker/src/index";
import { openDatabase } from "../../worker/src/db/client";
import { webhookDeliveries } from "../../worker/src/db/schema";
import { backoffSeconds, MAX_ATTEMPTS } from "../../worker/src/webhooks/deliver";
import { RUN_END_NOTIFIED_KEY } from "../../worker/src/webhooks/enqueue";
import { verifySignature } from "../../worker/src/webhooks/signature";
import { signUp, type ApiClient } from "./support/client";

const receiver = inject("webhookReceiver");
const db = () => openDatabase(env.DB);
type Received = { path: string; headers: Record<string, string>; body: string; status: number };

const hookName = (tag: string) => `${tag}-${Math.random().toString(36).slice(2, 10)}`;
const received = async (name: string) => (await (await fetch(`${receiver}/received/${name}`)).json()) as Received[];

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startRun(client: ApiClient) {
  const source = (await client.post("/connectors", { name: "s", url: "postgres://u:source-pw@127.0.0.1:1/s" })).json.id;
  const target = (await client.post("/connectors", { name: "t", url: "postgres://u:target-pw@127.0.0.1:1/t" })).json.id;
  const task = (await client.post("/tasks", { name: "nightly", sourceId: source, targetId: target })).json;
  const started = await client.post(`/tasks/${task.id}/start`);
  expect(started.status).toBe(202);
  const stub = env.TASK_COORDINATOR.get(env.TASK_COORDINATOR.idFromName(task.id));
  return { task, runId: started.json.runId as string, stub };
}

async function deliver(bodies: unknown[], attempts = 1) {
  const batch = createMessageBatch("dtaas-webhooks", bodies.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts, body })));
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

/** A pending delivery row written as enqueueRunEvent would, but not sent: the test drives the consumer. */
async function pendingDelivery(client: ApiClient, url: string) {
  const hook = (await client.post("/webhooks", { url, events: ["run.succeeded"] })).json;
  const me = (await client.get("/me")).json;
  const id = `whd_test${Math.random().toString(36).slice(2, 12)}`;
  const payload = JSON.stringify({ id, event: "run.succeeded", createdAt: Date.now(), task: { id: "tsk_x", name: "x" }, run: { id: "run_x" }, validation: { result: "passed" } });
  const now = Date.now();
  await db().insert(webhookDeliveries).values({ id, webhookId: hook.id, tenantId: me.tenant.id, event: "run.succeeded", payload, status: "pending", attempts: 0, nextAttemptAt: now, createdAt: now, updatedAt: now });
  return { hook, id, payload };
}

describe("webhook delivery", () => {
  it("a finished run is delivered once, signed, through the real queue; settling again sends nothing", async () => {
    const { client } = await signUp();
    const name = hookName("stopped");
    const hook = (await client.post("/webhooks", { url: `${receiver}/hook/${name}`, events: ["run.stopped", "run.succeeded"] })).json;
    const ignored = hookName("ignored");
    await client.post("/webhooks", { url: `${receiver}/hook/${ignored}`, events: ["run.failed"] });
    const { task, runId, stub } = await startRun(client);
    expect((await client.post(`/tasks/${task.id}/stop`)).json).toEqual({ status: "stopped" });

    const [got] = await waitFor("the delivery", async () => {
      const r = await received(name);
      return r.length ? r : undefined;
    });
    expect(got!.headers["dtaas-event"]).toBe("run.stopped");
    expect(got!.headers["content-type"]).toBe("application/json");
    expect(got!.headers["dtaas-signature"]).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(await verifySignature(hook.secret, got!.body, got!.headers["dtaas-signature"])).toEqual({ ok: true, timestamp: expect.any(Number) });
    expect(await verifySignature(hook.secret, got!.body.replace("stopped", "succeeded"), got!.headers["dtaas-signature"])).toMatchObject({ ok: false, reason: "mismatch" });
    expect(await verifySignature("whsec_wrong", got!.body, got!.headers["dtaas-signature"])).toMatchObject({ ok: false, reason: "mismatch" });
    const body = JSON.parse(got!.body);
    expect(body).toMatchObject({
      id: got!.headers["dtaas-delivery"],
      event: "run.stopped",
      task: { id: task.id, name: "nightly" },
      run: { id: runId, status: "stopped", mode: "full_load", rowsCopied: 0, bytesCopied: 0, error: null, tables: [] },
      validation: { result: "pending" },
    });
    expect(body.run.durationMs).toBe(body.run.finishedAt - body.run.startedAt);
    expect(got!.body).not.toContain("source-pw");

    const deliveries = await waitFor("the recorded success", async () => {
      const list = (await client.get(`/webhooks/${hook.id}/deliveries`)).json.items;
      return list[0]?.status === "succeeded" ? list : undefined;
    });
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ id: body.id, event: "run.stopped", attempts: 1, lastStatusCode: 200, lastError: null, nextAttemptAt: null, payload: body });
    expect(await runInDurableObject(stub, (_, state) => state.storage.get(RUN_END_NOTIFIED_KEY))).toBe(runId);

    // The run is over; settling again (an alarm firing late) must not raise the event a second time.
    await runInDurableObject(stub, (_, state) => state.storage.setAlarm(Date.now()));
    await runDurableObjectAlarm(stub);
    expect((await client.post(`/tasks/${task.id}/stop`)).json).toEqual({ status: "stopped" });
    await new Promise((r) => setTimeout(r, 500));
    expect(await received(name)).toHaveLength(1);
    expect((await client.get(`/webhooks/${hook.id}/deliveries`)).json.items).toHaveLength(1);
    expect(await received(ignored)).toEqual([]);
  });

  it("a run failing with VALIDATION_FAILED raises run.failed and validation.failed", async () => {
    const { client } = await signUp();
    const name = hookName("validation");
    const hook = (await client.post("/webhooks", { url: `${receiver}/hook/${name}`, events: ["run.failed", "validation.failed"] })).json;
    const { task, runId, stub } = await startRun(client);
    const attemptId = await runInDurableObject(stub, (_, state) => state.storage.sql.exec<{ a: string }>("SELECT attempt_id AS a FROM jobs WHERE key = 'prepare'").one().a);
    await stub.runnerEvent({ event: "failed", taskId: task.id, runId, attemptId, error: { code: "VALIDATION_FAILED", message: "public.a differs", retryable: false } });
    const got = await waitFor("both deliveries", async () => {
      const r = await received(name);
      return r.length >= 2 ? r : undefined;
    });
    expect(got.map((r) => r.headers["dtaas-event"]).sort()).toEqual(["run.failed", "validation.failed"]);
    for (const r of got) {
      expect(JSON.parse(r.body).run).toMatchObject({ id: runId, status: "failed", error: { code: "VALIDATION_FAILED", message: "public.a differs" } });
      expect((await verifySignature(hook.secret, r.body, r.headers["dtaas-signature"])).ok).toBe(true);
    }
  });

  it("retries a receiver answering 500 twice with backoff, then records one success with every attempt", async () => {
    const { client } = await signUp();
    const name = hookName("flaky");
    const { hook, id, payload } = await pendingDelivery(client, `${receiver}/hook/${name}?fail=2`);

    const first = await deliver([{ deliveryId: id }], 1);
    expect(first.explicitAcks).toEqual([]);
    // getQueueResult does not report the retry delay; the row's next attempt time shows it.
    expect(first.retryMessages.map((m) => m.msgId)).toEqual(["m0"]);
    let row = (await client.get(`/webhooks/${hook.id}/deliveries`)).json.items[0];
    expect(row).toMatchObject({ status: "pending", attempts: 1, lastStatusCode: 500, lastError: "The receiver answered 500." });
    expect(row.nextAttemptAt - row.updatedAt).toBe(backoffSeconds(1) * 1000);

    const second = await deliver([{ deliveryId: id }], 2);
    expect(second.retryMessages.map((m) => m.msgId)).toEqual(["m0"]);
    row = (await client.get(`/webhooks/${hook.id}/deliveries`)).json.items[0];
    expect(row).toMatchObject({ status: "pending", attempts: 2, lastStatusCode: 500 });
    expect(row.nextAttemptAt - row.updatedAt).toBe(2 * backoffSeconds(1) * 1000);

    const third = await deliver([{ deliveryId: id }], 3);
    expect(third.explicitAcks).toEqual(["m0"]);
    row = (await client.get(`/webhooks/${hook.id}/deliveries`)).json.items[0];
    expect(row).toMatchObject({ status: "succeeded", attempts: 3, lastStatusCode: 200, lastError: null, nextAttemptAt: null });

    // A stray copy of the message after success changes nothing and sends nothing.
    expect((await deliver([{ deliveryId: id }], 4)).explicitAcks).toEqual(["m0"]);
    const got = await received(name);
    expect(got.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(new Set(got.map((r) => r.headers["dtaas-delivery"]))).toEqual(new Set([id]));
    for (const r of got) {
      expect(r.body).toBe(payload);
      expect((await verifySignature(hook.secret, r.body, r.headers["dtaas-signature"])).ok).toBe(true);
    }
  });

  it("gives up after the last attempt, and a redelivery queues a new delivery of the same payload", async () => {
    const { client } = await signUp();
    const name = hookName("down");
    const { hook, id } = await pendingDelivery(client, `${receiver}/hook/${name}?fail=100&status=503`);
    await db().update(webhookDeliveries).set({ attempts: MAX_ATTEMPTS - 1 }).where(eq(webhookDeliveries.id, id));
    const result = await deliver([{ deliveryId: id }], MAX_ATTEMPTS);
    expect(result.explicitAcks).toEqual(["m0"]);
    const failed = (await client.get(`/webhooks/${hook.id}/deliveries`)).json.items[0];
    expect(failed).toMatchObject({ status: "failed", attempts: MAX_ATTEMPTS, lastStatusCode: 503, nextAttemptAt: null });

    await client.patch(`/webhooks/${hook.id}`, { active: false });
    expect((await client.post(`/webhooks/${hook.id}/deliveries/${id}/redeliver`)).json.error.code).toBe("WEBHOOK_INACTIVE");
    await client.patch(`/webhooks/${hook.id}`, { active: true, url: `${receiver}/hook/${name}-ok` });
    const again = await client.post(`/webhooks/${hook.id}/deliveries/${id}/redeliver`);
    expect(again.status).toBe(202);
    expect(again.json).toMatchObject({ status: "pending", attempts: 0, event: "run.succeeded" });
    expect(again.json.id).not.toBe(id);
    expect(again.json.payload.id).toBe(again.json.id);
    // The real queue consumer takes the new delivery.
    await waitFor("the redelivery", async () => (await db().query.webhookDeliveries.findFirst({ where: and(eq(webhookDeliveries.id, again.json.id), eq(webhookDeliveries.status, "succeeded")) })) ?? undefined);
    const [got] = await received(`${name}-ok`);
    expect(got!.headers["dtaas-delivery"]).toBe(again.json.id);
    expect((await client.get(`/webhooks/${hook.id}/deliveries?limit=1`)).json.nextCursor).not.toBeNull();
    expect((await client.post(`/webhooks/${hook.id}/deliveries/whd_nope/redeliver`)).status).toBe(404);
  });

  it("counts a receiver slower than 10 s as a failed attempt", async () => {
    const { client } = await signUp();
    const { hook, id } = await pendingDelivery(client, `${receiver}/hook/${hookName("slow")}?fail=1&delayMs=12000`);
    const started = Date.now();
    const result = await deliver([{ deliveryId: id }]);
    expect(Date.now() - started).toBeLessThan(11_500);
    expect(result.retryMessages).toHaveLength(1);
    const row = (await client.get(`/webhooks/${hook.id}/deliveries`)).json.items[0];
    expect(row).toMatchObject({ status: "pending", attempts: 1, lastStatusCode: null, lastError: "No answer within 10 s." });
  }, 30_000);

  it("acknowledges malformed messages and deliveries that no longer exist", async () => {
    const result = await deliver([{ nope: 1 }, "text", { deliveryId: "whd_gone" }]);
    expect(result.explicitAcks.sort()).toEqual(["m0", "m1", "m2"]);
  });
});
