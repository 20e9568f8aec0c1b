import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";

export const PLACEHOLDER_DATABASE_ID = "00000000-0000-0000-0000-000000000000";

/**
 * wrangler.toml rewritten into dist/deploy/ for a deploy with overrides: the copy runner as a built image
 * reference instead of the Dockerfile, and/or the production D1 database id. Relative paths are moved to
 * still point into the repository. Returns the path of the written config.
 */
export function writeDeployConfig(root: string, overrides: { image?: string; databaseId?: string }): string {
  const outDir = resolve(root, "dist/deploy");
  mkdirSync(outDir, { recursive: true });
  const config = readFileSync(resolve(root, "wrangler.toml"), "utf8");
  let rewritten = config
    .replace(/^main = "(.*)"$/m, 'main = "../../$1"')
    .replace(/^directory = "(.*)"$/m, 'directory = "../../$1"')
    .replace(/^migrations_dir = "(.*)"$/m, 'migrations_dir = "../../$1"');
  rewritten = overrides.image
    ? rewritten.replace(/^image = .*$/m, `image = "${overrides.image}"`).replace(/^image_build_context = .*\n/m, "")
    : rewritten.replace(/^image = "\.\/(.*)"$/m, 'image = "../../$1"').replace(/^image_build_context = "\.?"$/m, 'image_build_context = "../.."');
  if (overrides.databaseId) rewritten = rewritten.replace(/^database_id = .*$/m, `database_id = "${overrides.databaseId}"`);
  if (rewritten === config || !/^main = "\.\.\/\.\.\//m.test(rewritten)) throw new Error("deploy config: wrangler.toml did not have the expected shape");
  const path = resolve(outDir, "wrangler.toml");
  writeFileSync(path, rewritten);
  return path;
}

/** The D1 database id wrangler.toml names (the placeholder until production's is filled in). */
export function configuredDatabaseId(root: string): string | undefined {
  return /^database_id = "(.*)"$/m.exec(readFileSync(resolve(root, "wrangler.toml"), "utf8"))?.[1];
}
