import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
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
});
