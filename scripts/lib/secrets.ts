import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";

/**
 * Local secrets, created once and reused: connectors stored in D1 are encrypted with ENCRYPTION_KEY and the
 * PostgreSQL cluster was initialised with PG_PASSWORD, so regenerating them would orphan that state.
 */
export const LocalSecrets = z.object({
  ENCRYPTION_KEY: z.string().refine((v) => Buffer.from(v, "base64").length === 32, "must be base64 of 32 bytes"),
  SESSION_SECRET: z.string().min(32),
  RUNNER_TOKEN: z.string().min(32),
  PG_PASSWORD: z.string().min(16),
  DEMO_PASSWORD: z.string().min(12),
});
export type LocalSecrets = z.infer<typeof LocalSecrets>;

const GENERATORS: { [K in keyof LocalSecrets]: () => string } = {
  ENCRYPTION_KEY: () => randomBytes(32).toString("base64"),
  SESSION_SECRET: () => randomBytes(32).toString("base64url"),
  RUNNER_TOKEN: () => randomBytes(32).toString("base64url"),
  // URL-safe: it is embedded in the connectors' postgres:// URLs.
  PG_PASSWORD: () => randomBytes(18).toString("hex"),
  DEMO_PASSWORD: () => `demo-${randomBytes(9).toString("base64url")}`,
};

/**
 * Reads the secrets file, generating only the entries that are missing (an older file keeps its values).
 * Throws when an existing entry is malformed instead of silently replacing it.
 */
export function loadOrCreateSecrets(file: string): { secrets: LocalSecrets; created: string[] } {
  const existing: Record<string, unknown> = existsSync(file)
    ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>)
    : {};
  const created: string[] = [];
  const merged: Record<string, unknown> = { ...existing };
  for (const [name, generate] of Object.entries(GENERATORS)) {
    if (merged[name] === undefined) {
      merged[name] = generate();
      created.push(name);
    }
  }
  const parsed = LocalSecrets.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`${file} is invalid (${problems}); fix or delete it (deleting loses access to stored connectors)`);
  }
  if (created.length > 0) writePrivate(file, `${JSON.stringify(parsed.data, null, 2)}\n`);
  return { secrets: parsed.data, created };
}

/** Writes a dotenv file with the given entries (values are single-line and quote-free by construction). */
export function writeDotenv(file: string, entries: Record<string, string>): void {
  const lines = Object.entries(entries).map(([k, v]) => {
    if (/[\n"]/.test(v)) throw new Error(`${k}: value cannot go into a dotenv file`);
    return `${k}="${v}"`;
  });
  writePrivate(file, `${lines.join("\n")}\n`);
}

// Owner-only, replaced atomically so a crash never leaves a half-written secrets file.
function writePrivate(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, file);
}
