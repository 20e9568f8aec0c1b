import { Client, type neonConfig } from "@neondatabase/serverless";
import type { Queryable, RawResult } from "./queryable";
import { rowsToObjects, toParam } from "./values";

export interface NeonOptions {
  /**
   * A WebSocket→TCP proxy for non-Neon servers, without protocol, e.g. `127.0.0.1:12345/v1` (the driver
   * appends `?address=host:port`). Absent: Neon's own endpoint for the host.
   */
  wsProxy?: string;
  /** Needed where no global WebSocket exists (Node 20: pass the `ws` package). workerd has one. */
  webSocketConstructor?: neonConfig["webSocketConstructor"];
  connectTimeoutSeconds?: number;
}

const LOOPBACK = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/;

/** Values come back as PostgreSQL's text; engine/db/values.ts converts them like the postgres.js adapter. */
const textTypes = { getTypeParser: () => (value: string) => value };

interface NeonField {
  name: string;
  dataTypeID: number;
}

async function raw(client: Client, text: string, params: readonly unknown[]): Promise<RawResult> {
  const result = await client.query({ text, values: params.map(toParam), rowMode: "array", types: textTypes });
  const fields = (result.fields ?? []) as NeonField[];
  return {
    command: result.command ?? "",
    columns: fields.map((f) => ({ name: f.name, typeOid: f.dataTypeID })),
    rows: result.rows as (string | null)[][],
  };
}

/** A Queryable over one @neondatabase/serverless `Client` (PostgreSQL protocol over a WebSocket). */
export async function openNeon(url: string, options: NeonOptions = {}): Promise<Queryable> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: (options.connectTimeoutSeconds ?? 10) * 1000 });
  const config = client.neonConfig;
  if (options.webSocketConstructor) config.webSocketConstructor = options.webSocketConstructor;
  else if (typeof WebSocket === "undefined") throw new Error("openNeon: no global WebSocket here; pass webSocketConstructor (the ws package)");
  if (options.wsProxy) {
    config.wsProxy = options.wsProxy;
    // A self-hosted proxy talks to a plain PostgreSQL: no pipelined cleartext password (it may ask for
    // SCRAM) and no Neon-only TLS pipelining. TLS to the proxy only when it is not on this machine.
    config.pipelineConnect = false;
    config.pipelineTLS = false;
    config.useSecureWebSocket = !LOOPBACK.test(options.wsProxy);
  }
  // An idle client reports a lost connection as an 'error' event; without a listener Node would crash.
  // The next query fails with its own error, which is where callers learn of it.
  client.on("error", () => {});
  await client.connect();

  // One connection: statements outside a transaction must wait until it ends, or they would run inside it.
  let tail: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => {}); // only orders the calls; the caller gets the rejection
    return run;
  };
  const direct = {
    queryRaw: (text: string, params: unknown[] = []) => raw(client, text, params),
    query: async <T>(text: string, params: unknown[] = []) => rowsToObjects<T>(await raw(client, text, params)),
  };
  let inTransaction = false;
  return {
    queryRaw: (text, params) => exclusive(() => direct.queryRaw(text, params)),
    query: <T>(text: string, params?: unknown[]) => exclusive(() => direct.query<T>(text, params)),
    transaction: <T>(fn: (tx: Queryable) => Promise<T>, txOptions: { readOnly?: boolean } = {}) => {
      if (inTransaction) return Promise.reject(new Error("transaction() cannot be nested"));
      return exclusive(async () => {
        inTransaction = true;
        try {
          await client.query(txOptions.readOnly ? "BEGIN READ ONLY" : "BEGIN");
          const tx: Queryable = {
            ...direct,
            transaction: () => Promise.reject(new Error("transaction() cannot be nested")),
            close: async () => {},
          };
          let result: T;
          try {
            result = await fn(tx);
          } catch (e) {
            // The original failure matters; a failed ROLLBACK means the connection is gone, closing it.
            await client.query("ROLLBACK").catch(() => {});
            throw e;
          }
          await client.query("COMMIT");
          return result;
        } finally {
          inTransaction = false;
        }
      });
    },
    async close() {
      await client.end();
    },
  };
}
