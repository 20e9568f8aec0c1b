import { createRoute, z } from "@hono/zod-openapi";
import { collectMetrics } from "../metrics/collect";
import { PROMETHEUS_CONTENT_TYPE, toPrometheus } from "../metrics/prometheus";
import { createRouter, errorResponses } from "../lib/openapi";

const MetricsQuery = z.object({
  format: z.enum(["json", "prometheus"]).optional().openapi({ param: { name: "format", in: "query" }, description: "Overrides the Accept header." }),
});

/** Prometheus when asked by `?format=prometheus`, or by an Accept header naming text/plain but not JSON (as scrapers send). */
export function wantsPrometheus(format: string | undefined, accept: string | undefined): boolean {
  if (format) return format === "prometheus";
  const a = (accept ?? "").toLowerCase();
  return a.includes("text/plain") && !a.includes("application/json");
}

export const metricsRoutes = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/metrics",
    tags: ["metrics"],
    request: { query: MetricsQuery },
    responses: {
      200: {
        description: "The tenant's metrics over the last 24 hours: JSON, or the Prometheus text format",
        content: { "application/json": { schema: z.any().openapi("Metrics") }, "text/plain": { schema: z.string() } },
      },
      ...errorResponses,
    },
  }),
  async (c) => {
    const metrics = await collectMetrics(c.env.DB, c.var.principal.tenantId);
    c.header("cache-control", "no-store");
    if (wantsPrometheus(c.req.valid("query").format, c.req.header("accept"))) {
      return c.text(toPrometheus(metrics), 200, { "content-type": PROMETHEUS_CONTENT_TYPE });
    }
    return c.json(metrics, 200);
  },
);
