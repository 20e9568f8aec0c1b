import type postgres from "postgres";
import { closeDedicated, openDedicated, releaseDedicated } from "./dedicated-connection";

export interface DedicatedCacheOptions {
  /** An idle connection is closed after this long, ms. */
  idleMs?: number;
  /** Idle connections kept per URL; more are closed as they come back. */
  perUrl?: number;
}

interface Idle {
  sql: postgres.Sql;
  timer: NodeJS.Timeout;
}

/**
 * Idle dedicated connections (dedicated-connection.ts) kept for the next chunk on the same database: a
 * new session costs four round trips and a backend start, 25 ms alone and 60–140 ms beside other work,
 * three times per chunk. Invariant: only a connection whose work ended cleanly comes back (committed or
 * rolled back, nothing session-level changed); a failed copy destroys its connections, never returns them.
 * A connection the server closed while idle reconnects on its next statement (postgres.js opens a new
 * socket through the same socket function, which taps it again).
 */
export class DedicatedCache {
  private readonly idle = new Map<string, Idle[]>();
  private readonly idleMs: number;
  private readonly perUrl: number;
  private closed = false;

  constructor(options: DedicatedCacheOptions = {}) {
    this.idleMs = options.idleMs ?? 30_000;
    this.perUrl = options.perUrl ?? 4;
  }

  /** An idle connection to `url`, most recently used first, or a new one. */
  take(url: string): postgres.Sql {
    const entry = this.idle.get(url)?.pop();
    if (!entry) return openDedicated(url);
    clearTimeout(entry.timer);
    return entry.sql;
  }

  /** Gives back a connection whose work ended cleanly. */
  give(url: string, sql: postgres.Sql): void {
    const list = this.idle.get(url) ?? [];
    if (this.closed || list.length >= this.perUrl) {
      void releaseDedicated(sql, false);
      return;
    }
    const entry: Idle = {
      sql,
      timer: setTimeout(() => {
        const at = list.indexOf(entry);
        if (at >= 0) list.splice(at, 1);
        void releaseDedicated(sql, false);
      }, this.idleMs),
    };
    // An idle connection must not keep the process alive.
    entry.timer.unref();
    list.push(entry);
    this.idle.set(url, list);
  }

  /** Idle connections kept now, for `url` or in all. */
  size(url?: string): number {
    if (url !== undefined) return this.idle.get(url)?.length ?? 0;
    return [...this.idle.values()].reduce((n, list) => n + list.length, 0);
  }

  /** Closes every idle connection; connections given back later are closed at once. */
  async closeAll(): Promise<void> {
    this.closed = true;
    const all = [...this.idle.values()].flat();
    this.idle.clear();
    for (const entry of all) clearTimeout(entry.timer);
    await Promise.all(all.map((entry) => closeDedicated(entry.sql, false).catch(() => {})));
  }
}
