import { Hono } from "hono";
export { TaskCoordinator } from "../../durable-objects/task-coordinator/task-coordinator";
export { CopyRunner } from "../../containers/copy-runner/container";

const app = new Hono<{ Bindings: Env }>();
app.get("/api/v1/health", (c) => c.json({ ok: true }));
export default app;
