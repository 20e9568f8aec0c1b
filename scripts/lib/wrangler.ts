import { existsSync, readdirSync } from "node:fs";
import { resolve } from "node:path";
import type { StartConfig } from "./config";
import type { Log } from "./log";
import type { ChildSpec } from "./processes";

// No telemetry, and no fetch of Request.cf from workers.cloudflare.com (works offline, no 3 s stall).
function wranglerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? "false",
    ...extra,
  };
}

function wranglerBin(root: string): string {
  return resolve(root, "node_modules/wrangler/bin/wrangler.js");
}

/** Whether migrations/ holds any migration to apply (wrangler fails on a missing directory). */
export function hasMigrations(root: string): boolean {
  const dir = resolve(root, "migrations");
  return existsSync(dir) && readdirSync(dir).some((f) => f.endsWith(".sql"));
}

/** `wrangler d1 migrations apply DB --local` into the persisted state `wrangler dev` uses. */
export function migrationsSpec(config: StartConfig, log: Log): ChildSpec {
  return {
    name: "d1 migrations",
    command: process.execPath,
    args: [wranglerBin(config.root), "d1", "migrations", "apply", "DB", "--local", "--persist-to", config.paths.wranglerState],
    cwd: config.root,
    // CI=1 skips the confirmation prompt.
    env: wranglerEnv({ CI: "1" }),
    log,
  };
}

/**
 * `wrangler dev` on the persisted local state, with containers off (the copy runner is a Node process
 * reached through COPY_RUNNER_URL). Secrets come from an env file so they never appear in `ps`; passing
 * --env-file also stops wrangler from reading a developer's own .dev.vars.
 */
export function wranglerDevSpec(config: StartConfig, log: Log): ChildSpec {
  const vars = {
    ENVIRONMENT: "development",
    LOG_LEVEL: config.logLevel,
    COPY_RUNNER_URL: `http://127.0.0.1:${config.ports.runner}`,
    // Where the runner posts job reports; explicit so it holds whatever host name the browser used.
    RUNNER_CALLBACK_URL: `http://127.0.0.1:${config.ports.api}`,
    RUNNER_LEASE_SECONDS: String(config.runnerLeaseSeconds),
  };
  return {
    name: "wrangler dev",
    command: process.execPath,
    args: [
      wranglerBin(config.root),
      "dev",
      "--local",
      "--ip",
      "127.0.0.1",
      "--port",
      String(config.ports.api),
      "--inspector-port",
      String(config.ports.inspector),
      "--persist-to",
      config.paths.wranglerState,
      "--env-file",
      config.paths.wranglerEnv,
      "--enable-containers=false",
      "--show-interactive-dev-session=false",
      ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
    ],
    cwd: config.root,
    env: wranglerEnv(),
    log,
  };
}
