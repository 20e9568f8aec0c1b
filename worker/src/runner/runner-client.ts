import { getContainer } from "@cloudflare/containers";

/**
 * Reaches the copy runner: the Node process at COPY_RUNNER_URL locally and in tests, else the
 * CopyRunner container (one instance per run, so a run's jobs share a warm connection pool).
 */
export function runnerFetch(env: Env, runId: string, path: string, init: RequestInit): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${env.RUNNER_TOKEN}`);
  if (env.COPY_RUNNER_URL) return fetch(new URL(path, env.COPY_RUNNER_URL), { ...init, headers });
  return getContainer(env.COPY_RUNNER, runId).fetch(new Request(`http://copy-runner${path}`, { ...init, headers }));
}
