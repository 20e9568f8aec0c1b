import { openNeon, type NeonOptions } from "./neon";
import { openPostgres } from "./postgres-js";
import type { Queryable } from "./queryable";

/**
 * Test support: a database with a random suffix on a test server, and the two adapters under one name,
 * so the same test runs over postgres.js and over the Neon driver. Web APIs only (engine/ type-checks
 * under Workers types).
 */

export interface ScratchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

export function randomSuffix(): string {
  return [...crypto.getRandomValues(new Uint8Array(4))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Creates `<label>_<random>` through the superuser `serverUrl`; `drop()` removes it even while in use. */
export async function createScratchDatabase(serverUrl: string, label: string): Promise<ScratchDatabase> {
  const name = `${label}_${randomSuffix()}`;
  const admin = openPostgres(serverUrl);
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.close();
  }
  return {
    name,
    url: databaseUrl(serverUrl, name),
    async drop() {
      const again = openPostgres(serverUrl);
      try {
        await again.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await again.close();
      }
    },
  };
}

export type Opener = (url: string) => Promise<Queryable>;

/** Both adapters: postgres.js directly, Neon through the given WebSocket→TCP proxy. */
export function bothAdapters(neonProxy: string, webSocketConstructor: NeonOptions["webSocketConstructor"]): [string, Opener][] {
  return [
    ["postgres.js", async (url) => openPostgres(url)],
    ["neon", (url) => openNeon(url, { wsProxy: neonProxy, webSocketConstructor })],
  ];
}
