import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** What every benchmark records besides its figures: the machine's load, and its JSON file. */

const ROOT = resolve(import.meta.dirname, "..");

/** `uptime`'s line: the load averages say how noisy a run on this shared machine was. */
export const machineLoad = (): string => execFileSync("uptime", { encoding: "utf8" }).trim();

/** Writes test-output/bench/<name>-<startedAt>.json; returns its path. */
export function writeBenchJson(name: string, startedAt: string, data: unknown): string {
  const dir = join(ROOT, "test-output", "bench");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}-${startedAt.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify(data, null, 2));
  return file;
}
