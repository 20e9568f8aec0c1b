import { createMiddleware } from "hono/factory";
import { describeError } from "../../lib/errors";
import { pruneRequestStats, recordRequest } from "../../metrics/record";
import type { AppEnv } from "../../types";

/** Share of recorded requests that also delete statistics past their retention. */
const PRUNE_PROBABILITY = 0.001;

/**
 * Counts authenticated API requests per tenant per minute (status class and a latency histogram) for
 * GET /metrics. The D1 upsert runs after the response (waitUntil), so it adds no latency; requests
 * without a tenant (sign-up, login, health, 401s) are not counted. Mount after requestContext.
 */
export const requestMetrics = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const started = Date.now();
    await next();
    const tenantId = c.get("principal")?.tenantId;
    if (!tenantId) return;
    const durationMs = Date.now() - started;
    const status = c.res.status;
    const db = c.var.db;
    c.executionCtx.waitUntil(
      (async () => {
        try {
          await recordRequest(db, tenantId, status, durationMs);
          if (Math.random() < PRUNE_PROBABILITY) await pruneRequestStats(db);
        } catch (e) {
          // Statistics are best effort: a lost count must never fail or slow the request.
          c.var.log.warn("request statistics not recorded", { error: describeError(e) });
        }
      })(),
    );
  });
