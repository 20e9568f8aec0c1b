import { createMiddleware } from "hono/factory";
import type { LogLevel } from "../../../../engine/log/logger";
import type { AppEnv } from "../../types";

/**
 * One log line per request through the request's logger (which carries `requestId`): method, path (no
 * query string), status, duration and the tenant once authenticated. 5xx lines are warnings; the error
 * itself is logged once by renderError. Mount after requestContext.
 */
export const requestLog = (options: { level?: Exclude<LogLevel, "error" | "warn"> } = {}) => {
  const level = options.level ?? "info";
  return createMiddleware<AppEnv>(async (c, next) => {
    const started = Date.now();
    await next();
    const status = c.res.status;
    const fields = {
      method: c.req.method,
      path: c.req.path,
      status,
      durationMs: Date.now() - started,
      tenantId: c.get("principal")?.tenantId ?? null,
    };
    if (status >= 500) c.var.log.warn("request", fields);
    else c.var.log[level]("request", fields);
  });
};
