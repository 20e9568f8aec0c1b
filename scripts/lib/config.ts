import { resolve } from "node:path";
import { z } from "zod";

const Port = z.coerce.number().int().min(1).max(65535);
const Flag = z
  .enum(["0", "1", "true", "false", ""])
  .default("")
  .transform((v) => v === "1" || v === "true");

/** Environment variables `npm start` reads; every one has a default that avoids a PostgreSQL on 5432. */
export const StartEnv = z.object({
  PORT: Port.default(8787).describe("Port of the API and web app (wrangler dev)."),
  DTAAS_PG_PORT: Port.default(54329).describe("Port of the embedded PostgreSQL holding demo_source and demo_target."),
  DTAAS_RUNNER_PORT: Port.default(8788).describe("Port of the copy runner (Node process, loopback only)."),
  DTAAS_INSPECTOR_PORT: z.coerce
    .number()
    .int()
    .min(0)
    .max(65535)
    .default(0)
    .describe("Port of wrangler's devtools inspector; 0 picks a free one."),
  DTAAS_HOME: z.string().min(1).default(".dtaas").describe("Directory of all local state (PG data, wrangler state, secrets)."),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("debug").describe("LOG_LEVEL var of the Worker."),
  DTAAS_SKIP_WEB_BUILD: Flag.describe("1 skips `npm run build:web` (web/build must exist)."),
  DTAAS_RUNNER_LEASE_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(3600)
    .default(30)
    .describe("Seconds a job may go without a progress report before the coordinator retries it."),
  DTAAS_DEMO_ORDERS: z.coerce
    .number()
    .int()
    .min(1)
    .default(1_000_000)
    .describe("Rows of public.orders in the demo source (other tables scale with it)."),
});

export interface StartConfig {
  root: string;
  ports: { api: number; pg: number; runner: number; inspector: number };
  logLevel: "debug" | "info" | "warn" | "error";
  skipWebBuild: boolean;
  demoOrders: number;
  runnerLeaseSeconds: number;
  paths: {
    home: string;
    /** Parent of the PG data dir; made world-writable when root, so keep nothing else in it. */
    pgRoot: string;
    pgData: string;
    wranglerState: string;
    secrets: string;
    /** dotenv file with the Worker's secrets, passed to wrangler as --env-file (keeps them off argv). */
    wranglerEnv: string;
    runnerBundle: string;
  };
}

/** Parses and validates the environment once; throws a readable message listing every problem. */
export function loadStartConfig(env: NodeJS.ProcessEnv, root: string): StartConfig {
  const parsed = StartEnv.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join("\n")}\n(npm start -- --help lists the variables)`);
  }
  const e = parsed.data;
  const ports = { api: e.PORT, pg: e.DTAAS_PG_PORT, runner: e.DTAAS_RUNNER_PORT, inspector: e.DTAAS_INSPECTOR_PORT };
  const used = [ports.api, ports.pg, ports.runner, ...(ports.inspector ? [ports.inspector] : [])];
  if (new Set(used).size !== used.length) {
    throw new Error(`invalid configuration: ports must differ (${JSON.stringify(ports)})`);
  }
  const home = resolve(root, e.DTAAS_HOME);
  const pgRoot = resolve(home, "pg");
  return {
    root,
    ports,
    logLevel: e.LOG_LEVEL,
    skipWebBuild: e.DTAAS_SKIP_WEB_BUILD,
    demoOrders: e.DTAAS_DEMO_ORDERS,
    runnerLeaseSeconds: e.DTAAS_RUNNER_LEASE_SECONDS,
    paths: {
      home,
      pgRoot,
      pgData: resolve(pgRoot, "data"),
      wranglerState: resolve(home, "wrangler"),
      secrets: resolve(home, "secrets.json"),
      wranglerEnv: resolve(home, "wrangler.env"),
      runnerBundle: resolve(root, "dist/copy-runner/main.mjs"),
    },
  };
}

/** The variables, defaults and descriptions, for `--help`. */
export function describeStartEnv(): string {
  return Object.entries(StartEnv.shape)
    .map(([name, schema]) => {
      const fallback = schema.parse(undefined);
      const shown = typeof fallback === "boolean" ? (fallback ? "1" : "0") : String(fallback);
      return `  ${name.padEnd(22)} ${schema.description ?? ""} (default ${shown})`;
    })
    .join("\n");
}
