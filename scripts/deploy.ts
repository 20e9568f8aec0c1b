/**
 * `npm run deploy`: ships DTaaS to Cloudflare (docs/deployment.md). In order, stopping at the first failure:
 *   1. checks the account (`wrangler whoami`), the D1 database id and the Worker secrets;
 *   2. creates the queues that do not exist yet (dtaas-chunks, dtaas-chunks-dlq, dtaas-webhooks);
 *   3. builds the web app (static assets) and the copy runner bundle (what its Dockerfile copies);
 *   4. applies the D1 migrations remotely (`wrangler d1 migrations apply DB --remote`), before the new code
 *      runs: migrations only add, so the running version keeps working against the new schema;
 *   5. `wrangler deploy` (the Worker, the TaskCoordinator, the queue consumers and the copy runner container).
 *
 * Settings: DTAAS_D1_DATABASE_ID (the production database id, if wrangler.toml still holds the placeholder),
 * DTAAS_RUNNER_IMAGE (a prebuilt runner image instead of building the Dockerfile, which needs Docker),
 * DTAAS_DEPLOY_SKIP_SECRET_CHECK=1. `--dry-run` prints the commands instead of running them.
 */
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { configuredDatabaseId, PLACEHOLDER_DATABASE_ID, writeDeployConfig } from "./lib/deploy-config";

const root = fileURLToPath(new URL("..", import.meta.url));
const dryRun = process.argv.includes("--dry-run");
const wrangler = resolve(root, "node_modules/wrangler/bin/wrangler.js");
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" };

export const QUEUES = ["dtaas-chunks", "dtaas-chunks-dlq", "dtaas-webhooks"];
export const REQUIRED_SECRETS = ["ENCRYPTION_KEY", "SESSION_SECRET", "RUNNER_TOKEN"];

function step(title: string): void {
  console.log(`\n== ${title}`);
}

/** Runs a command with inherited output; `capture` returns its stdout instead. Exits on failure unless `allowFail`. */
function run(command: string, args: string[], options: { capture?: boolean; allowFail?: boolean } = {}): { ok: boolean; stdout: string } {
  const printable = [command === process.execPath ? "node" : command, ...args].join(" ");
  if (dryRun) {
    console.log(`$ ${printable}`);
    return { ok: true, stdout: "" };
  }
  const result = spawnSync(command, args, { cwd: root, env, stdio: options.capture ? ["ignore", "pipe", "inherit"] : "inherit", encoding: "utf8" });
  const ok = result.status === 0;
  if (!ok && !options.allowFail) {
    console.error(`deploy: \`${printable}\` failed (exit ${result.status ?? result.signal}).`);
    process.exit(1);
  }
  return { ok, stdout: result.stdout ?? "" };
}

const wr = (args: string[], options?: { capture?: boolean; allowFail?: boolean }) => run(process.execPath, [wrangler, ...args], options);

step("account");
wr(["whoami"]);

const databaseId = process.env.DTAAS_D1_DATABASE_ID ?? configuredDatabaseId(root);
if (!dryRun && (!databaseId || databaseId === PLACEHOLDER_DATABASE_ID)) {
  console.error("deploy: wrangler.toml holds the placeholder D1 database id. Create the database (`wrangler d1 create dtaas`) and put its id in wrangler.toml or DTAAS_D1_DATABASE_ID.");
  process.exit(1);
}
const image = process.env.DTAAS_RUNNER_IMAGE;
const overrides = { ...(image ? { image } : {}), ...(process.env.DTAAS_D1_DATABASE_ID ? { databaseId: process.env.DTAAS_D1_DATABASE_ID } : {}) };
const config = Object.keys(overrides).length ? writeDeployConfig(root, overrides) : resolve(root, "wrangler.toml");

if (process.env.DTAAS_DEPLOY_SKIP_SECRET_CHECK !== "1") {
  step("secrets");
  const listed = wr(["secret", "list", "--config", config, "--format", "json"], { capture: true, allowFail: true });
  if (!dryRun) {
    let names: string[] = [];
    try {
      names = (JSON.parse(listed.stdout) as { name: string }[]).map((s) => s.name);
    } catch {
      // First deploy: the Worker does not exist yet, so it has no secrets to list.
    }
    const missing = REQUIRED_SECRETS.filter((s) => !names.includes(s));
    if (missing.length) {
      console.error(`deploy: missing Worker secrets ${missing.join(", ")}; set each with \`wrangler secret put NAME\` (docs/deployment.md).`);
      process.exit(1);
    }
  }
}

step("queues");
for (const queue of QUEUES) {
  if (!wr(["queues", "info", queue], { capture: true, allowFail: true }).ok) wr(["queues", "create", queue]);
}

step("build");
run("npm", ["run", "build:web"]);
run("npm", ["run", "build:runner"]);

step("D1 migrations (remote)");
wr(["d1", "migrations", "apply", "DB", "--remote", "--config", config]);

step("deploy");
wr(["deploy", "--config", config]);
console.log("\ndeploy: done. Check GET /api/v1/health on the Worker's URL.");
