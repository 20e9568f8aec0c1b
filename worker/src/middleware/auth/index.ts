import { eq } from "drizzle-orm";
import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { AppError } from "../../../../engine/errors/app-error";
import { findActiveApiKey } from "../../auth/api-keys";
import { findSession, SESSION_COOKIE } from "../../auth/sessions";
import { apiKeys } from "../../db/schema";
import type { AppEnv } from "../../types";

const LAST_USED_RESOLUTION_MS = 60_000;

const unauthenticated = () =>
  new AppError("UNAUTHENTICATED", "Sign in, or send an API key as `Authorization: Bearer dtaas_…`.", { status: 401 });

/**
 * Resolves the caller to a tenant from an API key (Authorization: Bearer) or the session cookie.
 * A revoked key or an expired session is rejected at once: nothing is cached between requests.
 */
export const requireAuth = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const db = c.var.db;
    const header = c.req.header("authorization");
    if (header) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      const key = match?.[1] ? await findActiveApiKey(db, match[1]) : undefined;
      if (!key) throw unauthenticated();
      c.set("principal", { tenantId: key.tenantId, userId: null, apiKeyId: key.id });
      const now = Date.now();
      if (!key.lastUsedAt || now - key.lastUsedAt > LAST_USED_RESOLUTION_MS) {
        c.executionCtx.waitUntil(db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, key.id)).then(() => undefined));
      }
      return next();
    }
    const token = getCookie(c, SESSION_COOKIE);
    const session = token ? await findSession(db, c.env.SESSION_SECRET, token) : undefined;
    if (!session) throw unauthenticated();
    c.set("principal", { tenantId: session.tenantId, userId: session.userId, apiKeyId: null });
    return next();
  });
