import { build } from "esbuild";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Bundles the copy runner into dist/copy-runner/main.mjs, the only thing its Dockerfile copies. */
export async function buildRunner(root: string): Promise<string> {
  const pkg = JSON.parse(readFileSync(resolve(root, "package.json"), "utf8")) as { version: string };
  const outfile = resolve(root, "dist/copy-runner/main.mjs");
  await build({
    absWorkingDir: root,
    entryPoints: ["containers/copy-runner/main.ts"],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    sourcemap: "linked",
    logLevel: "warning",
    define: { "process.env.DTAAS_RUNNER_BUILD_VERSION": JSON.stringify(pkg.version) },
    // Bundled CommonJS dependencies call require() for Node built-ins, which ESM lacks.
    banner: { js: 'import { createRequire as __dtaasCreateRequire } from "node:module"; const require = __dtaasCreateRequire(import.meta.url);' },
  });
  return outfile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outfile = await buildRunner(fileURLToPath(new URL("..", import.meta.url)));
  console.log(`built ${outfile}`);
}
