import { z } from "zod";
import { createLogger } from "../../engine/log/logger";
import { JobRunner } from "./jobs/job-runner";
import { Pools } from "./jobs/pools";
import { Reporter } from "./jobs/reporter";
import { jobRoutes } from "./jobs/routes";
import { createRunnerServer, runnerRoutes } from "./server";

const RunnerConfig = z.object({
  HOST: z.string().min(1).default("127.0.0.1").describe("Interface to bind; the container sets 0.0.0.0."),
  PORT: z.coerce.number().int().min(1).max(65535).default(8788).describe("TCP port of the runner."),
  RUNNER_TOKEN: z
    .string({ error: "RUNNER_TOKEN is required: the shared secret the Worker sends as a bearer token." })
    .min(16, "RUNNER_TOKEN must be at least 16 characters.")
    .describe("Shared secret between the Worker/DO and the runner."),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000).describe("How long SIGTERM waits for open requests."),
  MAX_JOBS: z.coerce.number().int().min(1).max(64).default(8).describe("Jobs run at once; more are refused with 503 and redelivered."),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info").describe("Lowest level logged."),
  NODE_ENV: z.string().default("development").describe("`production` logs JSON lines, anything else readable lines."),
});

// scripts/build-runner.ts replaces this expression with the package version; unbundled runs report "dev".
const VERSION = process.env.DTAAS_RUNNER_BUILD_VERSION ?? "dev";

const parsed = RunnerConfig.safeParse(process.env);
if (!parsed.success) {
  for (const issue of parsed.error.issues) console.error(`copy-runner: ${issue.path.join(".")}: ${issue.message}`);
  process.exit(2);
}
const config = parsed.data;

const log = createLogger("runner", { LOG_LEVEL: config.LOG_LEVEL, ENVIRONMENT: config.NODE_ENV === "production" ? "production" : "development" });
const pools = new Pools();
const jobs = new JobRunner({ pools, reporter: new Reporter({ token: config.RUNNER_TOKEN, log }), log, maxConcurrent: config.MAX_JOBS });

const server = createRunnerServer({
  token: config.RUNNER_TOKEN,
  routes: [...runnerRoutes({ version: VERSION, startedAt: Date.now() }), ...jobRoutes(jobs)],
  onError: (error, req) => log.error("request failed", { method: req.method, path: req.url, error }),
});

server.on("error", (error) => {
  console.error(`copy-runner: cannot listen on ${config.HOST}:${config.PORT}: ${error.message}`);
  process.exit(1);
});

server.listen(config.PORT, config.HOST, () => {
  console.log(`copy-runner ${VERSION} listening on http://${config.HOST}:${config.PORT}`);
});

// A promise rejected where nobody listens (a driver's late socket error after its job already failed and
// reported) must not take every other job and change stream of this process down with it: logged, kept up.
// Exceptions thrown synchronously still end the process (the supervisor or container restarts it).
process.on("unhandledRejection", (reason) => log.error("unhandled rejection", { error: reason }));

let stopping = false;
function shutdown(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  console.log(`copy-runner: ${signal}, closing`);
  server.close(() => void jobs.stopAll(config.SHUTDOWN_GRACE_MS / 2).then(() => pools.closeAll()).finally(() => process.exit(0)));
  server.closeIdleConnections();
  setTimeout(() => {
    console.error(`copy-runner: requests still open after ${config.SHUTDOWN_GRACE_MS} ms, exiting`);
    process.exit(1);
  }, config.SHUTDOWN_GRACE_MS).unref();
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
