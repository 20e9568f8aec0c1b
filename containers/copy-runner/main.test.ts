import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, inject, it } from "vitest";
import { createCdcFixture } from "../../engine/cdc/cdc-test-setup";
import { freePort } from "../../scripts/lib/ports";
import { httpOk, waitUntil } from "../../scripts/lib/wait";

function runMain(env: Record<string, string>) {
  const proc = spawn(process.execPath, ["--import", "tsx", "containers/copy-runner/main.ts"], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  proc.stdout.on("data", (d: Buffer) => (output += d.toString()));
  proc.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const exited = once(proc, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  return { proc, exited, output: () => output };
}

describe("copy runner main", () => {
  it("refuses to start without RUNNER_TOKEN", async () => {
    const run = runMain({});
    const [code] = await run.exited;
    expect(code).toBe(2);
    expect(run.output()).toContain("RUNNER_TOKEN is required");
  });

  it("serves health and exits cleanly on SIGTERM", async () => {
    const port = await freePort();
    const run = runMain({ RUNNER_TOKEN: "a-token-of-sufficient-length", PORT: String(port) });
    await waitUntil(() => httpOk(`http://127.0.0.1:${port}/health`), {
      what: "runner",
      timeoutMs: 20_000,
      abandonWhen: run.exited,
    });
    run.proc.kill("SIGTERM");
    const [code] = await run.exited;
    expect(code).toBe(0);
    expect(run.output()).toContain("SIGTERM, closing");
  });

  it("stops a change stream the coordinator no longer wants, and on SIGTERM reports its streams as retryable failures", async () => {
    const f = await createCdcFixture(inject("pgUrl"), "runnerstop");
    const token = "a-token-of-sufficient-length";
    // The coordinator's side: records events, and answers progress of attempts it no longer wants with false.
    const events: { event: string; attemptId: string; cdc?: { connected: boolean; changes: number }; error?: { code: string; retryable: boolean } }[] = [];
    const unwanted = new Set<string>();
    const callback = createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        const event = JSON.parse(body) as (typeof events)[number];
        events.push(event);
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ accepted: !unwanted.has(event.attemptId) }));
      });
    });
    await new Promise<void>((r) => callback.listen(0, "127.0.0.1", r));
    const port = await freePort();
    const run = runMain({ RUNNER_TOKEN: token, PORT: String(port), LOG_LEVEL: "info" });
    try {
      await f.source.unsafe(`CREATE TABLE t (id int PRIMARY KEY)`);
      await f.target.unsafe(`CREATE TABLE t (id int PRIMARY KEY)`);
      await f.publish([{ schema: "public", name: "t" }]);
      await f.createSlot();
      await waitUntil(() => httpOk(`http://127.0.0.1:${port}/health`), { what: "runner", timeoutMs: 20_000, abandonWhen: run.exited });
      const column = { name: "id", position: 1, dataType: "integer", typeSchema: "pg_catalog", typeName: "int4", typeKind: "b", isArray: false, nullable: false, defaultExpr: null, generated: "", identity: "" };
      const table = { schema: "public", name: "t", columns: [column], primaryKey: ["id"], estimatedRows: 0, sizeBytes: 0 };
      const post = (attemptId: string) =>
        fetch(`http://127.0.0.1:${port}/jobs`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({
            type: "cdc_stream",
            taskId: f.taskId,
            runId: "run_1",
            attemptId,
            callbackUrl: `http://127.0.0.1:${(callback.address() as AddressInfo).port}/events`,
            source: { kind: "postgres", url: f.sourceUrl },
            target: { kind: "postgres", url: f.targetUrl },
            ...f.names,
            tables: [{ table, targetTable: { schema: "public", name: "t" } }],
          }),
        });
      const until = (what: string, ok: () => boolean) => waitUntil(async () => ok(), { what, timeoutMs: 20_000, abandonWhen: run.exited });
      const failure = (attemptId: string) => events.find((e) => e.attemptId === attemptId && e.event === "failed");

      expect((await post("a#1")).status).toBe(202);
      await f.sourceTx(`INSERT INTO t VALUES (1)`);
      await until("the first stream applied a change", () => events.some((e) => e.attemptId === "a#1" && (e.cdc?.changes ?? 0) >= 1));
      unwanted.add("a#1");
      await until("the unwanted stream stopped", () => failure("a#1") !== undefined);
      expect(failure("a#1")!.error).toEqual({ code: "CDC_STREAM_STOPPED", message: "The change stream was stopped.", retryable: true });

      expect((await post("a#2")).status).toBe(202);
      await f.sourceTx(`INSERT INTO t VALUES (2)`);
      await until("the second stream applied a change", () => events.some((e) => e.attemptId === "a#2" && (e.cdc?.changes ?? 0) >= 1));
      run.proc.kill("SIGTERM");
      const [code] = await run.exited;
      expect(code).toBe(0);
      expect(failure("a#2")!.error).toMatchObject({ code: "CDC_STREAM_STOPPED", retryable: true });
      expect(await f.target`SELECT id FROM t ORDER BY id`).toEqual([{ id: 1 }, { id: 2 }]);
    } finally {
      run.proc.kill("SIGKILL");
      callback.close();
      await f.drop();
    }
  });
});
