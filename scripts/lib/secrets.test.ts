import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadOrCreateSecrets, writeDotenv } from "./secrets";

const dir = mkdtempSync(join(tmpdir(), "dtaas-secrets-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("local secrets", () => {
  it("creates them once, owner-only, and reuses them", () => {
    const file = join(dir, "a", "secrets.json");
    const first = loadOrCreateSecrets(file);
    expect(first.created).toHaveLength(5);
    expect(Buffer.from(first.secrets.ENCRYPTION_KEY, "base64")).toHaveLength(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = loadOrCreateSecrets(file);
    expect(second.created).toEqual([]);
    expect(second.secrets).toEqual(first.secrets);
  });

  it("adds only missing entries and refuses malformed ones", () => {
    const file = join(dir, "b.json");
    writeFileSync(file, JSON.stringify({ RUNNER_TOKEN: "x".repeat(40) }));
    const { secrets, created } = loadOrCreateSecrets(file);
    expect(secrets.RUNNER_TOKEN).toBe("x".repeat(40));
    expect(created).not.toContain("RUNNER_TOKEN");
    writeFileSync(file, JSON.stringify({ ...secrets, ENCRYPTION_KEY: "short" }));
    expect(() => loadOrCreateSecrets(file)).toThrow(/ENCRYPTION_KEY/);
  });

  it("writes a dotenv file", () => {
    const file = join(dir, "w.env");
    writeDotenv(file, { A: "1", B: "x/y+z=" });
    expect(readFileSync(file, "utf8")).toBe('A="1"\nB="x/y+z="\n');
  });
});
