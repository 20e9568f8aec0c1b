import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clientMajor } from "./servers";

/**
 * The native baselines, each timed as one shell pipeline from spawn to exit:
 * - pipe: `psql COPY … TO STDOUT (FORMAT binary) | psql COPY … FROM STDIN (FORMAT binary)` into a target
 *   table pre-created WITH its primary key (what a user running the pipe gets);
 * - pg_dump: `pg_dump -t table src | psql dst` (schema, data as text COPY, then the key);
 * - pgcopydb: `pgcopydb clone` of the (one-table) source database, 2 table jobs and 2 index jobs.
 * URLs reach the shell as environment variables, never inside the script text (no quoting hazards, no
 * passwords in `ps`). pg_dump and pgcopydb refuse a server newer than pg_dump itself: availability() says
 * so instead of letting them fail mid-benchmark.
 */

export type BaselineTool = "pipe" | "pg_dump" | "pgcopydb";
export const BASELINES: BaselineTool[] = ["pipe", "pg_dump", "pgcopydb"];

/** Why a tool cannot run against a server of major version `serverMajor`, or null when it can. */
export function unavailableReason(tool: BaselineTool, serverMajor: number): string | null {
  const psql = clientMajor("psql");
  if (psql === null) return "psql not found";
  if (tool === "pipe") return null;
  const dump = clientMajor("pg_dump");
  if (dump === null) return "pg_dump not found";
  if (dump < serverMajor) {
    return `pg_dump ${dump} refuses a PostgreSQL ${serverMajor} server ("server version mismatch"); pass --pg with a PostgreSQL ≤ ${dump} server`;
  }
  if (tool === "pgcopydb") {
    if (clientMajor("pgcopydb") === null) return "pgcopydb not installed (Debian: apt-get install pgcopydb)";
  }
  return null;
}

export interface ShellResult {
  seconds: number;
}

const PSQL = "psql -X -q -v ON_ERROR_STOP=1";

/** `table` null: the whole source database (pg_dump and pgcopydb; the pipe copies one table). */
function script(tool: BaselineTool, table: string | null): string {
  const t = `public.${table}`;
  switch (tool) {
    case "pipe":
      if (table === null) throw new Error("the pipe copies one table");
      return `${PSQL} "$SRC" -c "COPY ${t} TO STDOUT (FORMAT binary)" | ${PSQL} "$DST" -c "COPY ${t} FROM STDIN (FORMAT binary)"`;
    case "pg_dump":
      return `pg_dump --no-owner --no-acl ${table === null ? "" : `-t ${t} `}"$SRC" | ${PSQL} "$DST" >/dev/null`;
    case "pgcopydb":
      return `pgcopydb clone --source "$SRC" --target "$DST" --dir "$WORKDIR" --table-jobs 2 --index-jobs 2 --no-owner --no-acl`;
  }
}

/**
 * Runs one baseline copy of `table` (null: of the whole database) from `sourceUrl` into the target
 * database; throws with its stderr tail.
 */
export async function runBaseline(tool: BaselineTool, table: string | null, sourceUrl: string, targetUrl: string): Promise<ShellResult> {
  const workdir = mkdtempSync(join(tmpdir(), "dtaas-bench-pgcopydb-"));
  try {
    return await runShell(script(tool, table), { SRC: sourceUrl, DST: targetUrl, WORKDIR: workdir });
  } finally {
    rmSync(workdir, { recursive: true, force: true });
  }
}

export function runShell(text: string, env: Record<string, string>): Promise<ShellResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn("bash", ["-o", "pipefail", "-c", text], { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => {
      // Only the tail is kept: pgcopydb logs every step.
      stderr = (stderr + b.toString()).slice(-4000);
    });
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      const seconds = (performance.now() - started) / 1000;
      if (code === 0) resolve({ seconds });
      else reject(new Error(`\`${text}\` exited ${code ?? signal}: ${stderr.trim().split("\n").slice(-8).join("\n")}`));
    });
  });
}
