import postgres from "postgres";
import { SESSION_PARAMETERS } from "../plan/session";

/**
 * A postgres.js client with exactly one connection, owned by one chunk copy and closed when it ends.
 * Why not a pooled connection: a failed copy must leave no connection in COPY mode or in an aborted
 * transaction, and postgres.js 3.4.9 cannot be trusted to roll back on a connection that just died
 * (it writes the ROLLBACK to a null socket and crashes the process, porsager/postgres#1208). So on failure
 * the connection is destroyed instead, and the server rolls back the session's transaction by itself.
 * `max: 1` is also what lets BEGIN/COMMIT be sent as plain statements.
 */
export function openDedicated(url: string): postgres.Sql {
  return postgres(url, {
    max: 1,
    prepare: false,
    onnotice: () => {},
    connect_timeout: 30,
    connection: { ...SESSION_PARAMETERS, application_name: "dtaas-copy" },
  });
}

/** Closes gracefully after success; destroys at once (no statement sent) after a failure. */
export async function closeDedicated(sql: postgres.Sql, failed: boolean): Promise<void> {
  await sql.end({ timeout: failed ? 0 : 10 });
}
