import { Hono } from "hono";
import { AppError } from "../../../engine/errors/app-error";
import { RunnerEvent, RunnerEventBatch } from "../../../engine/jobs/protocol";
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
  const body: unknown = await c.req.json().catch(() => null);
  const single = RunnerEvent.safeParse(body);
  if (single.success) {
    const stub = c.env.TASK_COORDINATOR.get(c.env.TASK_COORDINATOR.idFromName(single.data.taskId));
    return c.json(await stub.runnerEvent(single.data), 200);
  }
  const batch = RunnerEventBatch.safeParse(body);
  if (!batch.success || batch.data.events.some((e) => e.taskId !== batch.data.taskId)) {
    throw new AppError("VALIDATION_FAILED", "Not a runner event, nor a batch of one task's events.", { status: 400 });
  }
  const stub = c.env.TASK_COORDINATOR.get(c.env.TASK_COORDINATOR.idFromName(batch.data.taskId));
  return c.json(await stub.runnerEvents(batch.data.events), 200);
});
