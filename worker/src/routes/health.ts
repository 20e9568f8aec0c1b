import { createRoute, z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { createRouter, json } from "../lib/openapi";

const Health = z
  .object({ ok: z.boolean(), checks: z.object({ d1: z.object({ ok: z.boolean(), latencyMs: z.number() }) }) })
  .openapi("Health");

export const healthRoutes = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/health",
    tags: ["health"],
    responses: { 200: json(Health, "Healthy"), 503: json(Health, "A dependency is down") },
  }),
  async (c) => {
    const start = Date.now();
    let ok = true;
    try {
      await c.var.db.run(sql`select 1`);
    } catch (e) {
      ok = false;
      c.var.log.error("health check: D1 failed", { error: e });
    }
    const body = { ok, checks: { d1: { ok, latencyMs: Date.now() - start } } };
    return ok ? c.json(body, 200) : c.json(body, 503);
  },
);
