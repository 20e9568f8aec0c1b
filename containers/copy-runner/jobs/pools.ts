import postgres from "postgres";
import { DedicatedCache } from "../../../engine/copy/dedicated-cache";
import type { Connection } from "../../../engine/jobs/protocol";

/**
 * postgres.js clients kept per connection URL, so consecutive chunks of a run reuse warm connections.
 * `neon` connectors are reached over TCP here too: the runner is a Node process, where Neon accepts
 * the ordinary protocol (the WebSocket driver is for the Workers runtime).
 */
export class Pools {
  private readonly clients = new Map<string, postgres.Sql>();
  /** The chunk copies' own connections, kept between chunks (engine/copy/dedicated-cache.ts). */
  readonly dedicated = new DedicatedCache();

  constructor(private readonly maxPerDatabase = 6) {}

  get(connection: Connection): postgres.Sql {
    let sql = this.clients.get(connection.url);
    if (!sql) {
      sql = postgres(connection.url, {
        max: this.maxPerDatabase,
        idle_timeout: 60,
        connect_timeout: 15,
        prepare: false,
        onnotice: () => {},
        connection: { application_name: "dtaas-copy-runner" },
      });
      this.clients.set(connection.url, sql);
    }
    return sql;
  }

  async closeAll(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.all([...all.map((sql) => sql.end({ timeout: 5 })), this.dedicated.closeAll()]);
  }
}
