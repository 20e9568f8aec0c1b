/**
 * `npm run deploy:check`: builds the production bundle with `wrangler deploy --dry-run`, which validates
 * wrangler.toml and bundles the Worker, DOs and queue consumers. A Dockerfile image would need a Docker
 * engine to build, so the container is given as an image reference here (as a registry-built image
 * would be in a real pipeline); everything else is the real configuration.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const outDir = resolve(root, "dist/deploy");
mkdirSync(outDir, { recursive: true });

const config = readFileSync(resolve(root, "wrangler.toml"), "utf8");
const image = process.env.DTAAS_RUNNER_IMAGE ?? "registry.cloudflare.com/dtaas/copy-runner:latest";
const rewritten = config
  .replace(/^image = .*$/m, `image = "${image}"`)
  .replace(/^image_build_context = .*\n/m, "")
  // The config moves into dist/deploy/: its relative paths must still point at the repository.
  .replace(/^main = "(.*)"$/m, 'main = "../../$1"')
  .replace(/^directory = "(.*)"$/m, 'directory = "../../$1"')
  .replace(/^migrations_dir = "(.*)"$/m, 'migrations_dir = "../../$1"');
if (rewritten === config) throw new Error("deploy-check: wrangler.toml did not have the expected shape");
const configPath = resolve(outDir, "wrangler.toml");
writeFileSync(configPath, rewritten);

const result = spawnSync(
  process.execPath,
  [resolve(root, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--config", configPath, "--outdir", resolve(outDir, "bundle")],
  { cwd: root, stdio: "inherit", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
);
process.exit(result.status ?? 1);
