/**
 * The smallest database surface the control plane needs (catalog, browser, readiness checks), so the
 * same code runs over postgres.js (TCP, also inside workerd through cloudflare:sockets) and over
 * @neondatabase/serverless (WebSocket). Bulk data movement (COPY) uses postgres.js directly.
 */
export interface Queryable {
  /** Runs one statement with `$1…` parameters and returns its rows as objects. */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Runs `fn` on one connection inside BEGIN … COMMIT (ROLLBACK when it throws). */
  transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: { readOnly?: boolean }): Promise<T>;
  close(): Promise<void>;
}

export type ConnectorKind = "postgres" | "neon";

export interface ConnectionSpec {
  kind: ConnectorKind;
  /** A postgres:// URL with the password in it; lives only in memory. */
  url: string;
}
