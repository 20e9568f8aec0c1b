import net from "node:net";
import postgres from "postgres";
import { SESSION_PARAMETERS } from "../plan/session";
import { tapSocket, type RawPath } from "./socket-tap";
import { connectWithTls, type SslOption } from "./tls-negotiation";

const rawPaths = new WeakMap<postgres.Sql, RawPath>();

/**
 * A postgres.js client with exactly one connection, owned by one chunk copy and closed when it ends.
 * Why not a pooled connection: a failed copy must leave no connection in COPY mode or in an aborted
 * transaction, and postgres.js 3.4.9 cannot be trusted to roll back on a connection that just died
 * (it writes the ROLLBACK to a null socket and crashes the process, porsager/postgres#1208). So on failure
 * the connection is destroyed instead, and the server rolls back the session's transaction by itself.
 * `max: 1` is also what lets BEGIN/COMMIT be sent as plain statements.
 *
 * A TCP connection to one host gets a RawPath (see `rawPath`): its socket is opened here (postgres.js's
 * `socket` option) and tapped from its first byte — for TLS, the decrypted side, after this module
 * negotiated it as postgres.js would have (tls-negotiation.ts; postgres.js is then told ssl is off).
 * Unix sockets, host lists and direct TLS negotiation (sslnegotiation=direct) stay entirely postgres.js's.
 */
export function openDedicated(url: string): postgres.Sql {
  const options = {
    max: 1,
    prepare: false,
    onnotice: () => {},
    connect_timeout: 30,
    // No array type fetch at connect (a query per connection, three connections per chunk): what these
    // connections read back is text, numbers, booleans and json.
    fetch_types: false,
    connection: { ...SESSION_PARAMETERS, application_name: "dtaas-copy" },
  };
  // Options as postgres.js resolves them (URL, environment, defaults); creating a client opens nothing.
  const parsed = postgres(url, options).options;
  // Resolved from the URL (sslmode) like every option; `sslnegotiation` is missing from the declarations.
  const ssl = parsed.ssl as SslOption;
  const direct = (parsed as { sslnegotiation?: string | null }).sslnegotiation === "direct";
  if (parsed.path || parsed.host.length !== 1 || direct) return postgres(url, options);
  const [host, port] = [parsed.host[0]!, parsed.port[0]!];
  const path: RawPath = { socket: null, sink: null };
  const sql = postgres(url, {
    ...options,
    ssl: false,
    // Supported by postgres.js 3.4.9 (connection.js createSocket, which awaits it), missing from its type
    // declarations. postgres.js calls this for every socket it opens (the connection's and each cancel
    // request's); given a socket it skips its own connect and, with ssl off, starts the session on it at once.
    socket: async () => {
      // `host` and `port` as postgres.js sets them on its own sockets: its connection errors name them.
      // noDelay: the end of a COPY (the last CopyData, then CopyDone) and the COMMIT after it are small
      // writes, each of which Nagle's algorithm would hold until the server's delayed ACK of the one
      // before: ~40 ms twice per chunk (a 25-row chunk took 160 ms, 70 ms without).
      const raw = ssl === false ? net.connect({ port, host, noDelay: true }) : await connectWithTls(host, port, ssl, options.connect_timeout * 1000);
      const socket = Object.assign(raw, { host, port });
      tapSocket(socket, path);
      return socket;
    },
  } as typeof options);
  rawPaths.set(sql, path);
  return sql;
}

/** The dedicated connection's RawPath, or null when postgres.js owns its transport (Unix socket, host list …). */
export function rawPath(sql: postgres.Sql): RawPath | null {
  return rawPaths.get(sql) ?? null;
}

/** Closes gracefully after success; destroys at once (no statement sent) after a failure. */
export async function closeDedicated(sql: postgres.Sql, failed: boolean): Promise<void> {
  await sql.end({ timeout: failed ? 0 : 10 });
}

/**
 * closeDedicated without waiting for a graceful close (the server takes ~20 ms to end a session): for a
 * connection whose work is done and committed, whose ending nothing waits on.
 */
export async function releaseDedicated(sql: postgres.Sql, failed: boolean): Promise<void> {
  if (failed) return closeDedicated(sql, true);
  void closeDedicated(sql, false).catch(() => {});
}
