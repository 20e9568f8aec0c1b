import type { Log } from "./log";
import { spawnGroup, supervise, type ChildSpec, type Supervisor, type SupervisorOptions } from "./processes";

export interface RunnerLaunch {
  /** How to run the runner program: the bundle (`node dist/copy-runner/main.mjs`) or the source via tsx. */
  command: string;
  args: string[];
  cwd: string;
  port: number;
  token: string;
  log: Log;
}

export function runnerChildSpec(launch: RunnerLaunch): ChildSpec {
  return {
    name: "copy runner",
    command: launch.command,
    args: launch.args,
    cwd: launch.cwd,
    // Loopback only: locally the runner must not be reachable from the network (DESIGN.md §6).
    env: { ...process.env, HOST: "127.0.0.1", PORT: String(launch.port), RUNNER_TOKEN: launch.token },
    log: launch.log,
  };
}

/** Runs the copy runner and restarts it whenever it dies, as the container platform would. */
export function superviseRunner(
  launch: RunnerLaunch,
  options: Omit<SupervisorOptions, "log"> & { log?: Log } = {},
): Supervisor {
  const spec = runnerChildSpec(launch);
  return supervise(() => spawnGroup(spec), { ...options, log: options.log ?? launch.log });
}

export function runnerHealthUrl(port: number): string {
  return `http://127.0.0.1:${port}/health`;
}
