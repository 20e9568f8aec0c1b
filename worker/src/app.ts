import { OpenAPIHono } from "@hono/zod-openapi";
import { requireAuth } from "./middleware/auth";
import { requestContext } from "./middleware/request-id";
import { renderError } from "./lib/errors";
import { apiKeyRoutes } from "./routes/api-keys";
import { authRoutes, meRoutes } from "./routes/auth";
import { connectorRoutes } from "./routes/connectors";
import { healthRoutes } from "./routes/health";
import { runRoutes } from "./routes/runs";
import { internalRoutes } from "./routes/internal";
import { taskRunRoutes } from "./routes/task-runs";
import { taskRoutes } from "./routes/tasks";
import type { AppEnv } from "./types";

export function createApp() {
  const api = new OpenAPIHono<AppEnv>();
  api.use("*", requestContext());

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

  api.notFound((c) => c.json({ error: { code: "NOT_FOUND", message: "No such endpoint." } }, 404));
  api.onError(renderError);

  const app = new OpenAPIHono<AppEnv>();
  app.route("/api/v1", api);
  app.notFound((c) => c.json({ error: { code: "NOT_FOUND", message: "No such endpoint." } }, 404));
  const internal = new OpenAPIHono<AppEnv>();
  internal.use("*", requestContext());
  internal.route("/", internalRoutes);
  internal.onError(renderError);
  app.route("/internal", internal);
  app.onError(renderError);
  return app;
}
