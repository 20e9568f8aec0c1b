/**
 * The smallest database surface the control plane needs (catalog, browser, readiness checks), so the
 * same code runs over postgres.js (TCP, also inside workerd through cloudflare:sockets) and over
 * @neondatabase/serverless (WebSocket). Bulk data movement (COPY) uses postgres.js directly.
 */
export interface Queryable {
  /**
   * Runs one statement with `$1…` parameters and returns its rows as objects, values JSON-safe as
   * `toJsonValue` (engine/db/values.ts) makes them: the same on every adapter.
   */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Runs one statement and returns PostgreSQL's text output unparsed, with the column type OIDs. */
  queryRaw(text: string, params?: unknown[]): Promise<RawResult>;
  /** Runs `fn` on one connection inside BEGIN … COMMIT (ROLLBACK when it throws). */
  transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: { readOnly?: boolean }): Promise<T>;
  close(): Promise<void>;
}

/** A result in PostgreSQL's text format: what both drivers can hand over without interpreting it. */
export interface RawResult {
  /** The command tag's verb, e.g. `SELECT`, `FETCH`, `SHOW`. */
  command: string;
  columns: { name: string; typeOid: number }[];
  rows: (string | null)[][];
}

export type ConnectorKind = "postgres" | "neon";

export interface ConnectionSpec {
  kind: ConnectorKind;
  /** A postgres:// URL with the password in it; lives only in memory. */
  url: string;
}
