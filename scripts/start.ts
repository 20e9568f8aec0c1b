/**
 * `npm start`: the whole local stack on embedded defaults. Builds the web app and the copy runner, starts an
 * embedded PostgreSQL with demo data, the copy runner (restarted when it dies) and `wrangler dev`, seeds the
 * demo tenant through the API and stops everything, process group by process group, on Ctrl-C or SIGTERM.
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildRunner } from "./build-runner";
import { describeStartEnv, loadStartConfig, type StartConfig } from "./lib/config";
import { ensureDemoData } from "./lib/demo-data";
import { componentLog } from "./lib/log";
import { assertPortsFree } from "./lib/ports";
import { startLocalPostgres, type LocalPostgres } from "./lib/postgres-child";
import { describeExit, runToCompletion, spawnGroup, type Child } from "./lib/processes";
import { runnerHealthUrl, superviseRunner } from "./lib/runner";
import { loadOrCreateSecrets, writeDotenv, type LocalSecrets } from "./lib/secrets";
import { seedDemoTenant, SeedError } from "./lib/seed";
import { Stack } from "./lib/stack";
import { httpOk, waitUntil } from "./lib/wait";
import { hasMigrations, migrationsSpec, wranglerDevSpec } from "./lib/wrangler";

const DEMO_EMAIL = "demo@dtaas.local";
const DEMO_TENANT = "Demo";
const root = fileURLToPath(new URL("..", import.meta.url));
const log = componentLog("start");

if (process.argv.includes("--help")) {
  console.log(`npm start: the local DTaaS stack. Environment variables:\n${describeStartEnv()}`);
  process.exit(0);
}

let config: StartConfig;
try {
  config = loadStartConfig(process.env, root);
} catch (error) {
  console.error(`[start] ${(error as Error).message}`);
  process.exit(2);
}

const stack = new Stack(log);
let stopRequestedAt = 0;
function requestStop(reason: string): void {
  // npm and the terminal may both deliver one Ctrl-C: only a later, separate request is worth a word.
  if (stopRequestedAt > 0) {
    if (Date.now() - stopRequestedAt > 1_000) log(`${reason} again: still stopping (stragglers get SIGKILL)`);
    return;
  }
  stopRequestedAt = Date.now();
  log(`${reason}: stopping the local stack`);
  void stack.stop().then((clean) => {
    log(clean ? "stopped" : "stopped, with errors above");
    process.exit(clean ? 0 : 1);
  });
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => requestStop(signal));
// Whoever started us died without passing on a signal (e.g. npm killed, or a shell that does not forward
// SIGTERM): we were re-parented, and our children must not outlive us.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) requestStop(`parent process ${parentPid} exited`);
}, 1_000).unref();

try {
  await main(config);
} catch (error) {
  // Failures caused by our own shutdown (a killed build, a refused connection) are not news.
  if (!stack.isStopping) {
    log(`failed: ${(error as Error).message}`);
    await stack.stop();
    process.exit(1);
  }
}

async function main(config: StartConfig): Promise<void> {
  const { ports, paths } = config;
  await assertPortsFree({
    PORT: ports.api,
    DTAAS_PG_PORT: ports.pg,
    DTAAS_RUNNER_PORT: ports.runner,
    ...(ports.inspector ? { DTAAS_INSPECTOR_PORT: ports.inspector } : {}),
  });
  mkdirSync(paths.home, { recursive: true });
  const { secrets, created } = loadOrCreateSecrets(paths.secrets);
  if (created.length > 0) log(`generated ${created.join(", ")} in ${paths.secrets}`);
  writeDotenv(paths.wranglerEnv, {
    ENCRYPTION_KEY: secrets.ENCRYPTION_KEY,
    SESSION_SECRET: secrets.SESSION_SECRET,
    RUNNER_TOKEN: secrets.RUNNER_TOKEN,
  });

  const [, pg] = await Promise.all([buildArtifacts(config), startDatabase(config, secrets)]);
  exitWhenLost(pg.child);

  const runnerLog = componentLog("runner");
  const runner = superviseRunner({
    command: process.execPath,
    args: ["--enable-source-maps", paths.runnerBundle],
    cwd: root,
    port: ports.runner,
    token: secrets.RUNNER_TOKEN,
    log: runnerLog,
  });
  stack.add({ name: "copy runner", stop: () => runner.stop() });
  await waitUntil(() => httpOk(runnerHealthUrl(ports.runner)), { what: "copy runner", timeoutMs: 30_000 });

  const wranglerLog = componentLog("wrangler");
  if (hasMigrations(root)) {
    log("applying D1 migrations");
    await runToCompletion(migrationsSpec(config, wranglerLog), track);
  } else {
    log("no D1 migrations in migrations/ yet");
  }

  log(`starting wrangler dev on http://127.0.0.1:${ports.api}`);
  const wrangler = spawnGroup(wranglerDevSpec(config, wranglerLog));
  track(wrangler);
  exitWhenLost(wrangler);
  await waitForWorker(`http://127.0.0.1:${ports.api}/api/v1/health`, wrangler);

  const origin = `http://127.0.0.1:${ports.api}`;
  const seedLog = componentLog("seed");
  const connectors = (["demo_source", "demo_target"] as const).map((name) => ({
    name,
    kind: "postgres" as const,
    url: pg.urlFor(name),
  }));
  let tenantLines: string[];
  try {
    const seeded = await seedDemoTenant({
      origin,
      email: DEMO_EMAIL,
      password: secrets.DEMO_PASSWORD,
      tenantName: DEMO_TENANT,
      connectors,
    });
    const made = seeded.connectors.map((c) => `${c.name} (${c.state})`).join(", ");
    seedLog(`demo tenant ${seeded.account === "created" ? "created" : "already there"}; connectors: ${made}`);
    tenantLines = [
      `  Demo login   ${DEMO_EMAIL} / ${secrets.DEMO_PASSWORD}`,
      `  Connectors   ${connectors.map((c) => c.name).join(", ")}`,
    ];
  } catch (error) {
    // The stack is still useful without the demo tenant (e.g. while the auth API is being built).
    if (!(error instanceof SeedError)) throw error;
    seedLog(`demo tenant not seeded: ${error.message}`);
    tenantLines = [`  Demo tenant  not seeded (see [seed] above); restart to retry`];
  }

  const rule = "─".repeat(64);
  for (const line of [
    rule,
    "DTaaS is running",
    `  App          ${origin}`,
    `  API          ${origin}/api/v1`,
    ...tenantLines,
    `  PostgreSQL   ${pg.urlFor("demo_source")}`,
    `  Copy runner  http://127.0.0.1:${ports.runner}`,
    `  State        ${paths.home}`,
    "Ctrl-C stops everything.",
    rule,
  ]) {
    log(line);
  }
}

/**
 * Waits as long as wrangler runs: a Worker that does not build yet keeps `wrangler dev` alive and watching,
 * so the stack stays up while the code is fixed.
 */
async function waitForWorker(healthUrl: string, wrangler: Child): Promise<void> {
  for (;;) {
    try {
      await waitUntil(() => httpOk(healthUrl), { what: "wrangler dev", timeoutMs: 60_000, intervalMs: 500, abandonWhen: wrangler.exited });
      return;
    } catch (error) {
      if (!(error as Error).message.includes("not ready after")) throw error;
      log(`still waiting for ${healthUrl} (see wrangler's output above; it rebuilds on every change)`);
    }
  }
}

function track(child: Child): () => void {
  return stack.add({ name: child.name, stop: () => child.stop() });
}

async function buildArtifacts(config: StartConfig): Promise<void> {
  const buildLog = componentLog("build");
  if (config.skipWebBuild) {
    buildLog("web build skipped (DTAAS_SKIP_WEB_BUILD)");
  } else {
    buildLog("building the web app (npm run build:web)");
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    await runToCompletion({ name: "web build", command: npm, args: ["run", "--silent", "build:web"], cwd: root, log: buildLog }, track);
  }
  await buildRunner(root);
  buildLog(`copy runner bundled into ${config.paths.runnerBundle}`);
}

async function startDatabase(config: StartConfig, secrets: LocalSecrets): Promise<LocalPostgres> {
  const pgLog = componentLog("pg");
  pgLog(`starting PostgreSQL on 127.0.0.1:${config.ports.pg} (data in ${config.paths.pgData})`);
  const pg = await startLocalPostgres({
    root,
    dataDir: config.paths.pgData,
    port: config.ports.pg,
    password: secrets.PG_PASSWORD,
    log: pgLog,
    onSpawn: track,
  });
  const result = await ensureDemoData({ adminUrl: pg.urlFor("postgres"), orders: config.demoOrders, log: pgLog });
  if (!result.created) pgLog("demo data already present");
  return pg;
}

/** A child the stack cannot work without exits on its own: take the whole stack down, loudly. */
function exitWhenLost(child: Child): void {
  const lost = (reason: string) => {
    if (stack.isStopping) return;
    log(`${child.name} exited unexpectedly (${reason}); stopping the local stack`);
    void stack.stop().then(() => process.exit(1));
  };
  child.exited.then((exit) => lost(describeExit(exit)), (error: Error) => lost(error.message));
}
