import { createMiddleware } from "hono/factory";
import { lt } from "drizzle-orm";
import { AppError } from "../../../../engine/errors/app-error";
import { rateLimits } from "../../db/schema";
import { describeError } from "../../lib/errors";
import type { AppEnv } from "../../types";

const WINDOW_MS = 60_000;
const PRUNE_PROBABILITY = 0.01;

/** The caller's address as Cloudflare saw it; locally (no header) every caller shares one bucket. */
export const clientIp = (header: string | undefined) => header?.trim() || "local";

/**
 * A fixed-window counter per client IP in D1 (`rate_limits`): one atomic upsert per request counts it
 * and returns the window's total. Over `limit` answers 429 RATE_LIMITED with Retry-After (seconds to
 * the next window). `limit` reads the environment per request; 0 turns the rule off.
 */
export const rateLimit = (options: { rule: string; limit: (env: Env) => number }) => {
  if (!/^[a-z][a-z0-9_-]*$/.test(options.rule)) throw new Error(`rateLimit: invalid rule name "${options.rule}"`);
  return createMiddleware<AppEnv>(async (c, next) => {
    const limit = options.limit(c.env);
    if (!(limit > 0)) return next();
    const now = Date.now();
    const windowStart = now - (now % WINDOW_MS);
    const key = `${options.rule}:${clientIp(c.req.header("cf-connecting-ip"))}`;
    let count = 0;
    try {
      const row = await c.env.DB.prepare(
        `INSERT INTO rate_limits (key, window_start, count) VALUES (?1, ?2, 1)
         ON CONFLICT (key) DO UPDATE SET
           count = CASE WHEN rate_limits.window_start = excluded.window_start THEN rate_limits.count + 1 ELSE 1 END,
           window_start = excluded.window_start
         RETURNING count`,
      )
        .bind(key, windowStart)
        .first<{ count: number }>();
      count = row?.count ?? 0;
      if (Math.random() < PRUNE_PROBABILITY) {
        c.executionCtx.waitUntil(c.var.db.delete(rateLimits).where(lt(rateLimits.windowStart, now - 10 * WINDOW_MS)).then(() => undefined));
      }
    } catch (e) {
      // Fails open: an unavailable counter must not lock every user out; the password hash cost still applies.
      c.var.log.warn("rate limit not checked", { rule: options.rule, error: describeError(e) });
    }
    if (count > limit) {
      c.header("Retry-After", String(Math.max(1, Math.ceil((windowStart + WINDOW_MS - now) / 1000))));
      throw new AppError("RATE_LIMITED", "Too many attempts from your address; try again in a minute.", { status: 429 });
    }
    return next();
  });
};
