import { OpenAPIHono } from "@hono/zod-openapi";
import { requireAuth } from "./middleware/auth";
import { corsFromEnv } from "./middleware/cors";
import { rateLimit } from "./middleware/rate-limit";
import { requestContext } from "./middleware/request-id";
import { requestLog } from "./middleware/request-log";
import { requestMetrics } from "./middleware/request-metrics";
import { renderError } from "./lib/errors";
import { apiKeyRoutes } from "./routes/api-keys";
import { authRoutes, meRoutes } from "./routes/auth";
import { connectorRoutes } from "./routes/connectors";
import { healthRoutes } from "./routes/health";
import { runRoutes } from "./routes/runs";
import { internalRoutes } from "./routes/internal";
import { metricsRoutes } from "./routes/metrics";
import { taskRunRoutes } from "./routes/task-runs";
import { taskRoutes } from "./routes/tasks";
import { webhookRoutes } from "./routes/webhooks";
import type { AppEnv } from "./types";

export function createApp() {
  const api = new OpenAPIHono<AppEnv>();
  api.use("*", requestContext());
  api.use("*", requestLog());
  api.use("*", requestMetrics());

  // Signup and login share one counter per client IP.
  const authLimit = rateLimit({ rule: "auth", limit: (env) => Number(env.AUTH_RATE_LIMIT_PER_MINUTE || 10) });
  api.on("POST", ["/auth/signup", "/auth/login"], authLimit);

  // Public: registered before the auth middleware, so they answer without it.
  api.route("/", healthRoutes);
  api.route("/", authRoutes);
  api.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "DTaaS API", version: "1.0.0", description: "Data transfer as a service: PostgreSQL full load and CDC." },
    servers: [{ url: "/api/v1" }],
  });

  api.use("*", requireAuth());
  api.route("/", meRoutes);
  api.route("/", apiKeyRoutes);
  api.route("/", connectorRoutes);
  api.route("/", taskRoutes);
  api.route("/", runRoutes);
  api.route("/", taskRunRoutes);
  api.route("/", webhookRoutes);
  api.route("/", metricsRoutes);

  api.notFound((c) => c.json({ error: { code: "NOT_FOUND", message: "No such endpoint." } }, 404));
  api.onError(renderError);

  const app = new OpenAPIHono<AppEnv>();
  app.use("/api/*", corsFromEnv());
  app.route("/api/v1", api);
  app.notFound((c) => c.json({ error: { code: "NOT_FOUND", message: "No such endpoint." } }, 404));
  const internal = new OpenAPIHono<AppEnv>();
  internal.use("*", requestContext());
  // Runner reports arrive every second per job: logged at debug only.
  internal.use("*", requestLog({ level: "debug" }));
  internal.route("/", internalRoutes);
  internal.onError(renderError);
  app.route("/internal", internal);
  app.onError(renderError);
  return app;
}
