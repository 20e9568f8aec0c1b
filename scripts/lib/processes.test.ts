import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "./ports";
import { groupMembers, isProcessAlive, killGroup, spawnGroup, type Child } from "./processes";
import { runnerHealthUrl, superviseRunner } from "./runner";
import { httpOk, waitUntil } from "./wait";

// The grandchild ignores SIGTERM (only the SIGKILL escalation ends it) and announces itself once it does.
// With `leaderExits` the child exits at that point and leaves the grandchild orphaned.
function parentScript(leaderExits: boolean): string {
  const grandchild = `process.on("SIGTERM", () => {}); console.log("grandchild " + process.pid); setInterval(() => {}, 1000);`;
  return `
    const { spawn } = require("node:child_process");
    const gc = spawn(process.execPath, ["-e", ${JSON.stringify(grandchild)}], { stdio: ["ignore", "pipe", "inherit"] });
    gc.stdout.on("data", (d) => {
      process.stdout.write(d);
      ${leaderExits ? "gc.stdout.destroy(); gc.unref(); process.exit(0);" : ""}
    });
    setInterval(() => {}, 1000);
  `;
}

const started: Child[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.stop(200)));
});

async function spawnFamily(leaderExits: boolean): Promise<{ child: Child; grandchild: number }> {
  const lines: string[] = [];
  const child = spawnGroup({
    name: "family",
    command: process.execPath,
    args: ["-e", parentScript(leaderExits)],
    log: (line) => lines.push(line),
  });
  started.push(child);
  let grandchild = 0;
  await waitUntil(
    async () => {
      const match = lines.map((l) => /^grandchild (\d+)$/.exec(l)).find(Boolean);
      grandchild = Number(match?.[1] ?? 0);
      return grandchild > 0;
    },
    { what: "family", timeoutMs: 10_000, intervalMs: 20 },
  );
  return { child, grandchild };
}

describe("process groups", () => {
  it("kills a child and its grandchild together, escalating to SIGKILL", async () => {
    const { child, grandchild } = await spawnFamily(false);
    expect(groupMembers(child.pid).sort()).toEqual([child.pid, grandchild].sort());
    const t0 = Date.now();
    await killGroup(child.pid, 300);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(isProcessAlive(child.pid)).toBe(false);
    expect(isProcessAlive(grandchild)).toBe(false);
    expect(groupMembers(child.pid)).toEqual([]);
    expect(await child.exited).toEqual({ code: null, signal: "SIGTERM" });
  });

  it("kills what an exited leader left behind", async () => {
    const { child, grandchild } = await spawnFamily(true);
    await child.exited;
    expect(isProcessAlive(grandchild)).toBe(true);
    await child.stop(300);
    expect(isProcessAlive(grandchild)).toBe(false);
  });

  it("reports a command that cannot start", async () => {
    const child = spawnGroup({ name: "ghost", command: "/nonexistent/dtaas", args: [], log: () => {} });
    await expect(child.exited).rejects.toThrow(/ghost: cannot start/);
    await child.stop();
  });
});

describe("runner supervisor", () => {
  it("restarts a killed copy runner", { timeout: 60_000 }, async () => {
    const port = await freePort();
    const logs: string[] = [];
    const supervisor = superviseRunner(
      {
        command: process.execPath,
        args: ["--import", "tsx", "containers/copy-runner/main.ts"],
        cwd: process.cwd(),
        port,
        token: randomBytes(24).toString("hex"),
        log: (line) => logs.push(line),
      },
      { minDelayMs: 100, graceMs: 2_000 },
    );
    try {
      await waitUntil(() => httpOk(runnerHealthUrl(port)), { what: "runner", timeoutMs: 20_000 });
      const first = supervisor.current?.pid ?? 0;
      expect(first).toBeGreaterThan(0);

      process.kill(first, "SIGKILL");
      await waitUntil(
        async () => (supervisor.current?.pid ?? first) !== first && (await httpOk(runnerHealthUrl(port))),
        { what: "restarted runner", timeoutMs: 20_000 },
      );
      expect(supervisor.restarts).toBe(1);
      expect(logs.some((l) => l.includes(`pid ${first}) exited with signal SIGKILL; restarting`))).toBe(true);

      const second = supervisor.current?.pid ?? 0;
      await supervisor.stop();
      expect(isProcessAlive(second)).toBe(false);
      await sleep(300);
      expect(supervisor.current).toBeUndefined();
      expect(await httpOk(runnerHealthUrl(port))).toBe(false);
    } finally {
      await supervisor.stop();
    }
  });
});
