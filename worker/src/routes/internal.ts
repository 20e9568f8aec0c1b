import { Hono } from "hono";
import { AppError } from "../../../engine/errors/app-error";
import { RunnerEvent } from "../../../engine/jobs/protocol";
import { timingSafeEqual } from "../lib/encoding";
import type { AppEnv } from "../types";

/**
 * The copy runner's reports (progress, results), authenticated by RUNNER_TOKEN and routed to the task's
 * coordinator, which ignores anything that is not about the attempt it waits for.
 */
export const internalRoutes = new Hono<AppEnv>().post("/runner/events", async (c) => {
  const header = c.req.header("authorization") ?? "";
  if (!c.env.RUNNER_TOKEN || !timingSafeEqual(header, `Bearer ${c.env.RUNNER_TOKEN}`)) {
    throw new AppError("UNAUTHENTICATED", "A runner token is required.", { status: 401 });
  }
  const parsed = RunnerEvent.safeParse(await c.req.json().catch(() => null));
  if (!parsed.success) throw new AppError("VALIDATION_FAILED", "Not a runner event.", { status: 400 });
  const stub = c.env.TASK_COORDINATOR.get(c.env.TASK_COORDINATOR.idFromName(parsed.data.taskId));
  return c.json(await stub.runnerEvent(parsed.data), 200);
});
