import { createMiddleware } from "hono/factory";
import { cors } from "hono/cors";
import { AppError } from "../../../../engine/errors/app-error";
import type { AppEnv } from "../../types";

/** Parses CORS_ORIGINS ("https://a.example, https://b.example"): exact origins; empty means none. */
export function parseOrigins(value: string | undefined): string[] {
  const origins: string[] = [];
  for (const raw of (value ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
    let origin: string | null = null;
    try {
      const u = new URL(raw);
      if ((u.protocol === "https:" || u.protocol === "http:") && u.origin === raw.replace(/\/$/, "")) origin = u.origin;
    } catch {
      origin = null;
    }
    if (!origin) throw new AppError("SERVER_MISCONFIGURED", `CORS_ORIGINS holds "${raw}", which is not an origin such as https://app.example.com.`, { status: 500 });
    origins.push(origin);
  }
  return origins;
}

const cache = new Map<string, ReturnType<typeof cors>>();

/**
 * CORS for /api/* from the CORS_ORIGINS var. Listed origins may call with credentials; any other
 * origin gets no Access-Control-Allow-Origin, so browsers keep it same-origin only. Preflights are
 * answered here, before authentication.
 */
export const corsFromEnv = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const value = c.env.CORS_ORIGINS ?? "";
    let handler = cache.get(value);
    if (!handler) {
      const allowed = new Set(parseOrigins(value));
      handler = cors({
        origin: (origin) => (allowed.has(origin) ? origin : null),
        allowMethods: ["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
        allowHeaders: ["authorization", "content-type", "x-request-id"],
        exposeHeaders: ["x-request-id", "retry-after"],
        credentials: true,
        maxAge: 600,
      });
      cache.set(value, handler);
    }
    return handler(c, next);
  });
