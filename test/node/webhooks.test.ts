import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyDelivery, type VerifiedDelivery } from "../../scripts/webhook-receiver";
import { waitUntil } from "../../scripts/lib/wait";
import { StackClient } from "../support/api-client";
import { startLocalStack, type LocalStack } from "../support/local-stack";

let stack: LocalStack;
let admin: postgres.Sql;
const opened: postgres.Sql[] = [];
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  stack = await startLocalStack({ demoOrders: 1_000 });
  admin = postgres(stack.pgUrl, { max: 1, onnotice: () => {} });
}, 240_000);

afterAll(async () => {
  for (const close of closers) await close();
  await Promise.all(opened.map((s) => s.end({ timeout: 5 })));
  await admin?.end({ timeout: 5 });
  await stack?.stop();
}, 60_000);

/** A receiver verifying with the example's verifyDelivery (docs/webhooks.md); keeps raw requests too. */
async function startReceiver(secret: () => string) {
  const verified: VerifiedDelivery[] = [];
  const raw: { body: string; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks).toString("utf8");
      raw.push({ body, headers: req.headers });
      const v = await verifyDelivery(secret(), body, req.headers);
      if (v.ok) verified.push(v.delivery);
      res.writeHead(v.ok ? 204 : 400).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/dtaas`, verified, raw };
}

describe("webhooks, metrics and logs over the local stack", () => {
  it("a real full load raises a signed run.succeeded, shows in the metrics, and no log line holds the connector password", async () => {
    const suffix = Math.random().toString(36).slice(2, 8);
    const role = `hooks_${suffix}`;
    const password = `Pangolin#${suffix}@Vault/Pw!`;
    const [src, dst] = [`hooks_src_${suffix}`, `hooks_dst_${suffix}`];
    await admin.unsafe(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    await admin.unsafe(`CREATE DATABASE ${src} OWNER ${role}`);
    await admin.unsafe(`CREATE DATABASE ${dst} OWNER ${role}`);
    const urlOf = (db: string) => {
      const u = new URL(stack.pgUrl);
      u.username = role;
      u.password = encodeURIComponent(password);
      u.pathname = `/${db}`;
      return u.toString();
    };
    const source = postgres(urlOf(src), { max: 1, onnotice: () => {} });
    opened.push(source);
    await source.unsafe(`
      CREATE TABLE public.items (id int PRIMARY KEY, name text, price numeric(10,2));
      INSERT INTO public.items SELECT g, 'item ' || g, g / 10.0 FROM generate_series(1, 5000) g;
      ANALYZE;`);

    const api = new StackClient(stack.origin);
    await api.signUp("Hooks");
    let secret = "";
    const receiver = await startReceiver(() => secret);
    const hook = await api.expectOk("POST", "/webhooks", { url: receiver.url, events: ["run.succeeded", "run.failed"] });
    secret = hook.secret;
    const sourceId = await api.createConnector("source", urlOf(src));
    const targetId = await api.createConnector("target", urlOf(dst));
    expect((await api.expectOk("POST", `/connectors/${sourceId}/test`)).ok).toBe(true);
    const task = await api.expectOk("POST", "/tasks", { name: "hooked", sourceId, targetId, options: { chunkRows: 1000 } });
    const run = await api.runToEnd(task.id);
    expect(run.status, JSON.stringify(run.error)).toBe("succeeded");
    expect(run.rowsCopied).toBe(5000);

    await waitUntil(async () => receiver.verified.length > 0, { what: "the run.succeeded delivery", timeoutMs: 30_000 });
    expect(receiver.raw).toHaveLength(1);
    expect(receiver.raw[0]!.headers["dtaas-signature"]).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const [delivery] = receiver.verified;
    expect(delivery!.event).toBe("run.succeeded");
    expect(delivery!.payload).toMatchObject({
      id: delivery!.id,
      event: "run.succeeded",
      task: { id: task.id, name: "hooked" },
      run: {
        id: run.id,
        status: "succeeded",
        mode: "full_load",
        rowsCopied: 5000,
        bytesCopied: run.bytesCopied,
        error: null,
        tables: [{ source: "public.items", target: "public.items", rows: 5000, validation: "passed" }],
      },
      validation: { result: "passed" },
    });
    // Tampered or signed with another secret: the example receiver refuses it.
    const tampered = await verifyDelivery(secret, receiver.raw[0]!.body.replace("5000", "5001"), receiver.raw[0]!.headers);
    expect(tampered).toEqual({ ok: false, reason: "mismatch" });
    await waitUntil(async () => (await api.expectOk("GET", `/webhooks/${hook.id}/deliveries`)).items[0]?.status === "succeeded", {
      what: "the recorded delivery",
      timeoutMs: 10_000,
    });
    expect((await api.expectOk("GET", `/webhooks/${hook.id}/deliveries`)).items).toMatchObject([{ id: delivery!.id, attempts: 1, lastStatusCode: 204 }]);

    const metrics = await api.expectOk("GET", "/metrics");
    expect(metrics.tasks.total).toBe(1);
    expect(metrics.runs).toMatchObject({ inProgress: 0, total: { succeeded: 1, failed: 0, stopped: 0 }, inWindow: { succeeded: 1 } });
    expect(metrics.runs.perHour.at(-1).succeeded + (metrics.runs.perHour.at(-2)?.succeeded ?? 0)).toBe(1);
    expect(metrics.transfer).toMatchObject({ rowsCopied: 5000, bytesCopied: run.bytesCopied, rowsCopiedInWindow: 5000 });
    expect(metrics.transfer.rowsPerSecond).toBeGreaterThan(0);
    expect(metrics.runs.averageDurationMs).toBe(run.finishedAt - run.startedAt);
    expect(metrics.api.requests).toBeGreaterThan(3);
    // StackClient parses JSON; the session cookie is reused for the text format.
    const prom = await fetch(`${stack.origin}/api/v1/metrics`, { headers: { cookie: api["cookie"], accept: "text/plain" } });
    expect(prom.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    const lines = (await prom.text()).split("\n");
    expect(lines).toContain("dtaas_rows_copied_total 5000");
    expect(lines).toContain(`dtaas_bytes_copied_total ${run.bytesCopied}`);
    expect(lines).toContain('dtaas_runs_finished_total{status="succeeded"} 1');
    expect(lines).toContain("dtaas_runs_in_progress 0");

    const logs = stack.output.join("\n");
    expect(logs).toContain("webhook deliveries queued");
    expect(logs).toMatch(/"message":"request"|\brequest\b.*method=POST/);
    for (const s of [password, encodeURIComponent(password), "Pangolin"]) expect(logs).not.toContain(s);
  }, 180_000);

  it("limits sign-up and login per client address through wrangler dev (11th answers 429 with Retry-After)", async () => {
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 8_000) await new Promise((r) => setTimeout(r, left + 50));
    const ip = `203.0.113.${Math.floor(Math.random() * 250)}`;
    const login = (from: string) =>
      fetch(`${stack.origin}/api/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json", "cf-connecting-ip": from },
        body: JSON.stringify(stack.demo),
      });
    for (let i = 0; i < 10; i++) expect((await login(ip)).status).toBe(200);
    const limited = await login(ip);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe("RATE_LIMITED");
    expect((await login(`198.51.100.${Math.floor(Math.random() * 250)}`)).status).toBe(200);
  }, 60_000);
});
