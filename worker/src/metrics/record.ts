import { lt, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { apiRequestStats } from "../db/schema";
import { bucketOf, BUCKET_COLUMNS } from "./latency";

export const MINUTE_MS = 60_000;
/** Minutes of request statistics kept; the metrics endpoint reads the last 24 hours. */
export const STATS_RETENTION_MS = 48 * 3600_000;

/** One request into its tenant's minute: a single upsert, run after the response (ctx.waitUntil). */
export async function recordRequest(db: Database, tenantId: string, status: number, durationMs: number, now = Date.now()): Promise<void> {
  const bucket = bucketOf(durationMs);
  const inc = (col: (typeof BUCKET_COLUMNS)[number] | "requests" | "clientErrors" | "serverErrors" | "durationMsSum") => sql`${apiRequestStats[col]} + excluded.${sql.identifier(apiRequestStats[col].name)}`;
  await db
    .insert(apiRequestStats)
    .values({
      tenantId,
      minute: now - (now % MINUTE_MS),
      requests: 1,
      clientErrors: status >= 400 && status < 500 ? 1 : 0,
      serverErrors: status >= 500 ? 1 : 0,
      durationMsSum: Math.round(durationMs),
      [bucket]: 1,
    })
    .onConflictDoUpdate({
      target: [apiRequestStats.tenantId, apiRequestStats.minute],
      set: {
        requests: inc("requests"),
        clientErrors: inc("clientErrors"),
        serverErrors: inc("serverErrors"),
        durationMsSum: inc("durationMsSum"),
        [bucket]: inc(bucket),
      },
    });
}

export async function pruneRequestStats(db: Database, now = Date.now()): Promise<void> {
  await db.delete(apiRequestStats).where(lt(apiRequestStats.minute, now - STATS_RETENTION_MS));
}
