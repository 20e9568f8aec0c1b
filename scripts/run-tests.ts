/**
 * `vitest run` with test/vitest.config.ts (arguments are passed on: `node --import tsx scripts/run-tests.ts --project node engine/cdc`), with the verdict taken from its JSON report as well as its exit code. Hazard: with
 * @cloudflare/vitest-pool-workers 0.15.1 on vitest 4.1, a failing test in the Workers project still ends
 * vitest with exit code 0 (seen here), so the exit code alone would let a red suite pass CI.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const report = resolve(root, "test-output/vitest-report.json");
mkdirSync(resolve(root, "test-output"), { recursive: true });
rmSync(report, { force: true });

const result = spawnSync(
  process.execPath,
  [resolve(root, "node_modules/vitest/vitest.mjs"), "run", "--config", resolve(root, "test/vitest.config.ts"), "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { cwd: root, stdio: "inherit" },
);

interface JsonReport {
  success: boolean;
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  numFailedTestSuites: number;
}

let parsed: JsonReport | null = null;
try {
  parsed = JSON.parse(readFileSync(report, "utf8")) as JsonReport;
} catch {
  parsed = null;
}
if (!parsed) {
  console.error("run-tests: vitest wrote no JSON report");
  process.exit(result.status || 1);
}
const failed = parsed.numFailedTests + parsed.numFailedTestSuites;
console.log(`\n${parsed.numPassedTests} passed, ${parsed.numFailedTests} failed`);
process.exit(result.status !== 0 || failed > 0 || !parsed.success || parsed.numTotalTests === 0 ? 1 : 0);
