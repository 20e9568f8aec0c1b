import WebSocket from "ws";
import type { StackClient } from "../../test/support/api-client";

const TERMINAL = new Set(["succeeded", "failed", "stopped"]);

export interface RunWatch {
  /** Resolves when a progress message says `runId` ended (or the socket fails: the caller's poll decides). */
  ended(runId: string): Promise<void>;
  close(): void;
}

/**
 * Watches a task's progress socket (GET /api/v1/tasks/:id/events), opened before the run starts so its
 * end cannot be missed. Why not poll GET /runs/:id often: on a 2-core machine each poll costs the Worker
 * ~20 ms of CPU, taken from the copy being measured. A message for another run is ignored.
 */
export async function watchRuns(api: StackClient, taskId: string): Promise<RunWatch> {
  const url = `${api.origin.replace(/^http/, "ws")}/api/v1/tasks/${encodeURIComponent(taskId)}/events`;
  const socket = new WebSocket(url, { headers: api.authHeaders() });
  const ended = new Set<string>();
  const waiters = new Map<string, () => void>();
  let broken: (() => void) | null = null;
  const fail = new Promise<void>((resolve) => (broken = resolve));
  socket.on("message", (data) => {
    let message: { type?: string; runId?: string; status?: string };
    try {
      message = JSON.parse(String(data));
    } catch {
      return; // Not a progress message; the next one carries the whole state anyway.
    }
    if (message.type !== "progress" || !message.runId || !TERMINAL.has(message.status ?? "")) return;
    ended.add(message.runId);
    waiters.get(message.runId)?.();
  });
  socket.on("close", () => broken?.());
  socket.on("error", () => broken?.());
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  return {
    ended: (runId) =>
      ended.has(runId) ? Promise.resolve() : Promise.race([new Promise<void>((resolve) => waiters.set(runId, resolve)), fail]),
    close: () => socket.close(),
  };
}
