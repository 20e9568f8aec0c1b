import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { spawnGroup, type Child } from "../../scripts/lib/processes";
import { freePort } from "../../scripts/lib/ports";
import { httpOk, waitUntil } from "../../scripts/lib/wait";

const ROOT = resolve(import.meta.dirname, "../..");

export interface LocalStack {
  origin: string;
  runnerUrl: string;
  /** Superuser URL of the stack's embedded PostgreSQL (`postgres` database). */
  pgUrl: string;
  demo: { email: string; password: string };
  /** Everything the stack printed, for diagnosing a failed test. */
  output: string[];
  /** The current copy runner process id (the stack restarts the runner when it dies). */
  runnerPid(): Promise<number>;
  /** Jobs the copy runner is running right now (its `GET /jobs`). */
  runnerActiveJobs(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * The whole local stack as `npm start` runs it (wrangler dev + copy runner + embedded PostgreSQL with
 * demo data) on free ports in a throwaway home. The web app must already be built (npm test does so).
 */
export async function startLocalStack(options: { demoOrders?: number; leaseSeconds?: number } = {}): Promise<LocalStack> {
  const home = mkdtempSync(join(tmpdir(), "dtaas-stack-"));
  // As root, PostgreSQL runs as the `postgres` user, which must be able to reach its data directory.
  chmodSync(home, 0o755);
  const [api, pg, runner] = [await freePort(), await freePort(), await freePort()];
  const output: string[] = [];
  const child: Child = spawnGroup({
    name: "npm start",
    command: process.execPath,
    args: ["--import", "tsx", "scripts/start.ts"],
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(api),
      DTAAS_PG_PORT: String(pg),
      DTAAS_RUNNER_PORT: String(runner),
      DTAAS_HOME: home,
      DTAAS_SKIP_WEB_BUILD: "1",
      DTAAS_DEMO_ORDERS: String(options.demoOrders ?? 5_000),
      DTAAS_RUNNER_LEASE_SECONDS: String(options.leaseSeconds ?? 30),
      LOG_LEVEL: "info",
    },
    log: (line) => {
      output.push(line);
      if (process.env.DTAAS_TEST_VERBOSE) console.log(line);
    },
  });
  const origin = `http://127.0.0.1:${api}`;
  const runnerUrl = `http://127.0.0.1:${runner}`;
  const stop = async () => {
    await child.stop(15_000);
    rmSync(home, { recursive: true, force: true });
  };
  try {
    await waitUntil(async () => output.some((l) => l.includes("DTaaS is running")), {
      what: "the local stack",
      timeoutMs: 180_000,
      intervalMs: 250,
      abandonWhen: child.exited,
    });
    if (!(await httpOk(`${origin}/api/v1/health`))) throw new Error("health check failed after start");
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${output.slice(-60).join("\n")}`);
  }
  const secrets = JSON.parse(readFileSync(join(home, "secrets.json"), "utf8")) as Record<string, string>;
  return {
    origin,
    runnerUrl,
    pgUrl: `postgres://postgres:${encodeURIComponent(secrets.PG_PASSWORD!)}@127.0.0.1:${pg}/postgres`,
    demo: { email: "demo@dtaas.local", password: secrets.DEMO_PASSWORD! },
    output,
    async runnerPid() {
      const res = await fetch(`${runnerUrl}/health`);
      return ((await res.json()) as { pid: number }).pid;
    },
    async runnerActiveJobs() {
      const res = await fetch(`${runnerUrl}/jobs`, { headers: { authorization: `Bearer ${secrets.RUNNER_TOKEN}` } });
      return ((await res.json()) as { active: number }).active;
    },
    stop,
  };
}
