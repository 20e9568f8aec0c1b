import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import postgres from "postgres";
import { parentPid } from "../cpu";

/**
 * The PostgreSQL server the benchmark copies on (the stack's embedded PostgreSQL 17, or `--pg`), and the
 * databases it creates there. Every database has a random suffix and is dropped at the end (drop()), so
 * runs never meet each other's leftovers and a concurrent test on the same server is not disturbed.
 */

export interface Server {
  /** Superuser URL (database `postgres`). */
  url: string;
  version: string;
  major: number;
  /** The server's postmaster process id when it runs on this machine (for CPU accounting), else null. */
  postmasterPid: number | null;
  urlFor(database: string): string;
  /** A fresh database `bench_<label>_<random>`; returns its name. */
  createDatabase(label: string): Promise<string>;
  dropDatabase(name: string): Promise<void>;
  /** Drops every database this object created and not yet dropped. */
  dropAll(): Promise<void>;
  end(): Promise<void>;
}

export function connect(url: string, max = 2): postgres.Sql {
  return postgres(url, { max, onnotice: () => {}, idle_timeout: 5 });
}

export async function openServer(url: string): Promise<Server> {
  const admin = connect(url, 1);
  const [v] = await admin.unsafe<{ server_version: string; num: string }[]>("SELECT current_setting('server_version') AS server_version, current_setting('server_version_num') AS num");
  const [b] = await admin.unsafe<{ pid: number }[]>("SELECT pg_backend_pid() AS pid");
  const created = new Set<string>();
  const urlFor = (database: string) => Object.assign(new URL(url), { pathname: `/${database}` }).toString();
  const dropDatabase = async (name: string) => {
    await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    created.delete(name);
  };
  return {
    url,
    version: v!.server_version,
    major: Math.floor(Number(v!.num) / 10000),
    postmasterPid: localPostmaster(url, b!.pid),
    urlFor,
    async createDatabase(label) {
      const name = `bench_${label}_${randomBytes(4).toString("hex")}`;
      await admin.unsafe(`CREATE DATABASE "${name}"`);
      created.add(name);
      return name;
    },
    dropDatabase,
    async dropAll() {
      for (const name of [...created]) await dropDatabase(name);
    },
    end: () => admin.end({ timeout: 5 }),
  };
}

/** Major version of a PostgreSQL client program (`pg_dump --version` → 15), or null when it is missing. */
export function clientMajor(program: string): number | null {
  try {
    const out = execFileSync(program, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const m = /\(PostgreSQL\)\s+(\d+)/.exec(out) ?? /PostgreSQL\s+(\d+)/.exec(out);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/**
 * Hazard: a backend pid names a process on the server's machine; only a loopback server's pid can be looked
 * up here, and only if that process is a PostgreSQL backend whose parent is a postgres program.
 */
function localPostmaster(url: string, backendPid: number): number | null {
  if (!["127.0.0.1", "localhost", "[::1]"].includes(new URL(url).hostname) || !existsSync(`/proc/${backendPid}/cmdline`)) return null;
  const parent = parentPid(backendPid);
  if (parent === null) return null;
  return /postgres/.test(readFileSync(`/proc/${parent}/cmdline`, "utf8")) ? parent : null;
}
