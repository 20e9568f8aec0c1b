import { openNeon, type NeonOptions } from "./neon";
import { isWorkerd, openPostgres } from "./postgres-js";
import { assertReachable } from "./reachability";
import type { ConnectionSpec, Queryable } from "./queryable";

export interface ConnectionOptions {
  /** For `neon` connectors: the WebSocket→TCP proxy (see NeonOptions.wsProxy). */
  neonWsProxy?: string;
  /** For `neon` connectors where no global WebSocket exists (Node 20: the `ws` package). */
  webSocketConstructor?: NeonOptions["webSocketConstructor"];
  connectTimeoutSeconds?: number;
}

/**
 * Opens a control-plane connection for a connector. postgres.js connects lazily (errors surface on the
 * first query); the Neon client connects here. Callers close it, also after failures.
 */
export async function openConnection(spec: ConnectionSpec, options: ConnectionOptions = {}): Promise<Queryable> {
  switch (spec.kind) {
    case "postgres":
      if (isWorkerd()) await assertReachable(spec.url, (options.connectTimeoutSeconds ?? 10) * 1000);
      return openPostgres(spec.url, { connectTimeoutSeconds: options.connectTimeoutSeconds });
    case "neon":
      return openNeon(spec.url, {
        wsProxy: options.neonWsProxy,
        webSocketConstructor: options.webSocketConstructor,
        connectTimeoutSeconds: options.connectTimeoutSeconds,
      });
  }
}
