/**
 * `npm run deploy:check`: builds the production bundle with `wrangler deploy --dry-run`, which validates
 * wrangler.toml and bundles the Worker, DOs and queue consumers. A Dockerfile image would need a Docker
 * engine to build, so the container is given as an image reference here (as a registry-built image
 * would be in a real pipeline); everything else is the real configuration.
 */
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { writeDeployConfig } from "./lib/deploy-config";

const root = fileURLToPath(new URL("..", import.meta.url));
const image = process.env.DTAAS_RUNNER_IMAGE ?? "registry.cloudflare.com/dtaas/copy-runner:latest";
const configPath = writeDeployConfig(root, { image });

const result = spawnSync(
  process.execPath,
  [resolve(root, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--config", configPath, "--outdir", resolve(root, "dist/deploy/bundle")],
  { cwd: root, stdio: "inherit", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
);
process.exit(result.status ?? 1);
