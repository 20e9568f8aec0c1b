import postgres from "postgres";
import type { Log } from "./log";
import { spawnGroup, type Child } from "./processes";
import { waitUntil } from "./wait";

export interface LocalPostgres {
  child: Child;
  /** Superuser URL of `database` on this server. */
  urlFor(database: string): string;
}

export interface LocalPostgresOptions {
  root: string;
  dataDir: string;
  port: number;
  password: string;
  log: Log;
  /** Called with the child as soon as it is spawned, so a shutdown during startup can stop it. */
  onSpawn?: (child: Child) => void;
}

/** Starts scripts/pg-server.ts in its own process group and resolves once it accepts queries. */
export async function startLocalPostgres(options: LocalPostgresOptions): Promise<LocalPostgres> {
  const child = spawnGroup({
    name: "postgres",
    command: process.execPath,
    args: ["--import", "tsx", "scripts/pg-server.ts"],
    cwd: options.root,
    env: {
      ...process.env,
      DTAAS_PG_DIR: options.dataDir,
      DTAAS_PG_PORT: String(options.port),
      DTAAS_PG_PASSWORD: options.password,
    },
    log: options.log,
  });
  options.onSpawn?.(child);
  const urlFor = (database: string) =>
    `postgres://postgres:${encodeURIComponent(options.password)}@127.0.0.1:${options.port}/${database}`;
  try {
    await waitUntil(() => canQuery(urlFor("postgres")), {
      what: "PostgreSQL",
      timeoutMs: 120_000,
      intervalMs: 250,
      abandonWhen: child.exited,
    });
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { child, urlFor };
}

async function canQuery(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
  try {
    await sql`SELECT 1`;
    return true;
  } catch {
    return false; // starting up (refused, or "the database system is starting up")
  } finally {
    await sql.end({ timeout: 1 });
  }
}
