import postgres from "postgres";
import type { Queryable, RawResult } from "./queryable";
import { rowsToObjects, toParam } from "./values";

export interface PostgresOptions {
  /** Pool size; the control plane needs one connection per request. */
  max?: number;
  connectTimeoutSeconds?: number;
  idleTimeoutSeconds?: number;
}

/** True inside workerd (Cloudflare Workers and `wrangler dev`). */
export function isWorkerd(): boolean {
  return typeof navigator !== "undefined" && navigator.userAgent === "Cloudflare-Workers";
}

type Sql = postgres.Sql | postgres.TransactionSql;

const decoder = new TextDecoder();

async function raw(sql: Sql, text: string, params: readonly unknown[]): Promise<RawResult> {
  // `simple: false` keeps the extended protocol even without parameters: the server then refuses a text
  // holding several statements, whatever the caller's checks missed. Not in the published option types.
  const options = { prepare: false, simple: false } as postgres.UnsafeQueryOptions;
  const result = await sql.unsafe(text, params.map(toParam), options).raw();
  const columns = (result.columns ?? []).map((c) => ({ name: c.name, typeOid: c.type }));
  const rows = result.map((row) => (row as (Uint8Array | null)[]).map((v) => (v === null ? null : decoder.decode(v))));
  return { command: result.command ?? "", columns, rows };
}

function queryable(sql: Sql, inTransaction: boolean): Omit<Queryable, "close"> {
  const self: Omit<Queryable, "close"> = {
    async queryRaw(text, params = []) {
      return raw(sql, text, params);
    },
    async query<T>(text: string, params: unknown[] = []) {
      return rowsToObjects<T>(await raw(sql, text, params));
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>, options: { readOnly?: boolean } = {}): Promise<T> {
      if (inTransaction) throw new Error("transaction() cannot be nested");
      const run = async (tx: postgres.TransactionSql) => {
        const inner = queryable(tx, true);
        return fn({ ...inner, close: async () => {} });
      };
      const result = options.readOnly ? await (sql as postgres.Sql).begin("read only", run) : await (sql as postgres.Sql).begin(run);
      return result as T;
    },
  };
  return self;
}

/** A Queryable over postgres.js (TCP in Node, `cloudflare:sockets` in workerd). */
export function openPostgres(url: string, options: PostgresOptions = {}): Queryable {
  const sql = postgres(url, {
    max: options.max ?? 1,
    connect_timeout: options.connectTimeoutSeconds ?? 10,
    idle_timeout: options.idleTimeoutSeconds ?? 20,
    prepare: false,
    // Every value is read as text and converted by engine/db/values.ts; the type fetch would only cost a
    // round trip at connect.
    fetch_types: false,
    onnotice: () => {},
  });
  return {
    ...queryable(sql, false),
    async close() {
      // Inside workerd, sql.end() leaves an unhandled "Stream was cancelled" rejection behind
      // (porsager/postgres#1202) that fails the request; the socket dies with the request's I/O context
      // anyway, so there we only drop the client.
      if (isWorkerd()) return;
      await sql.end({ timeout: 5 });
    },
  };
}

/** A Queryable over a postgres.js client the caller owns and ends: `close` leaves it open. */
export function borrowPostgres(sql: postgres.Sql): Queryable {
  return { ...queryable(sql, false), close: async () => {} };
}
