import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { platform } from "node:os";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";

export type LineSink = (line: string) => void;

export interface ChildSpec {
  /** Short name used in log lines and errors. */
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Receives every stdout/stderr line of the child. */
  log: LineSink;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Child {
  name: string;
  /** Also the id of the child's process group: it was spawned as its leader. */
  pid: number;
  /** Settles when the group leader exits (its descendants may outlive it; `stop` handles those). */
  exited: Promise<ExitInfo>;
  /** SIGTERM to the whole group, SIGKILL after `graceMs`; resolves once no member is left. */
  stop(graceMs?: number): Promise<void>;
}

export const DEFAULT_GRACE_MS = 8_000;

/**
 * Spawns a child as the leader of its own process group (`detached`), so a terminal's Ctrl-C reaches only
 * us and we decide the order of shutdown, and so the child and everything it spawns die together.
 */
export function spawnGroup(spec: ChildSpec): Child {
  const proc = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<ExitInfo>((resolve, reject) => {
    proc.once("error", (error) => reject(new Error(`${spec.name}: cannot start ${spec.command}: ${error.message}`)));
    proc.once("exit", (code, signal) => resolve({ code, signal }));
  });
  // A spawn error leaves `pid` undefined; `exited` carries the reason.
  const pid = proc.pid ?? -1;
  if (proc.stdout) pipeLines(proc.stdout, spec.log);
  if (proc.stderr) pipeLines(proc.stderr, spec.log);
  return {
    name: spec.name,
    pid,
    exited,
    stop: (graceMs = DEFAULT_GRACE_MS) => (pid > 0 ? killGroup(pid, graceMs) : Promise.resolve()),
  };
}

function pipeLines(stream: Readable, sink: LineSink): void {
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  lines.on("line", (line) => sink(line));
}

/** Runs a command to completion in its own process group; rejects on a non-zero exit. */
export async function runToCompletion(spec: ChildSpec, track?: (child: Child) => () => void): Promise<void> {
  const child = spawnGroup(spec);
  const untrack = track?.(child);
  try {
    const exit = await child.exited;
    if (exit.code !== 0) throw new Error(`${spec.name} failed (${describeExit(exit)})`);
  } finally {
    untrack?.();
  }
}

export function describeExit(exit: ExitInfo): string {
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
}

/** SIGTERM to the group, then SIGKILL after `graceMs`; resolves when no live member is left. */
export async function killGroup(pgid: number, graceMs = DEFAULT_GRACE_MS): Promise<void> {
  if (!signalGroup(pgid, "SIGTERM")) return;
  if (await waitGroupGone(pgid, graceMs)) return;
  signalGroup(pgid, "SIGKILL");
  if (!(await waitGroupGone(pgid, 5_000))) throw new Error(`process group ${pgid} survived SIGKILL`);
}

async function waitGroupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isGroupAlive(pgid)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw error;
  }
}

/**
 * Whether any non-zombie process is left in the group. Orphaned grandchildren are reaped by PID 1, which in
 * some containers never happens: zombies would keep `kill(-pgid, 0)` succeeding forever, so on Linux /proc
 * decides.
 */
export function isGroupAlive(pgid: number): boolean {
  if (platform() !== "linux") return signalGroup(pgid, 0);
  return groupMembers(pgid).length > 0;
}

/** Live (non-zombie) pids of a process group, read from /proc (Linux only). */
export function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat && stat.pgrp === pgid && stat.state !== "Z" && stat.state !== "X") members.push(Number(entry));
  }
  return members;
}

/** Whether a pid names a live (non-zombie) process. */
export function isProcessAlive(pid: number): boolean {
  if (platform() === "linux") {
    const stat = readStat(pid);
    return stat !== undefined && stat.state !== "Z" && stat.state !== "X";
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readStat(pid: number): { state: string; pgrp: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined; // the process exited between listing and reading
  }
  // The command name (field 2) may contain spaces and parentheses: parse after its last ')'.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const state = fields[0];
  const pgrp = Number(fields[2]);
  return state === undefined ? undefined : { state, pgrp };
}

export interface SupervisorOptions {
  /** First restart delay; doubles on each crash up to `maxDelayMs`. */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** A child that ran this long before dying counts as healthy: the delay starts over. */
  stableAfterMs?: number;
  graceMs?: number;
  log: LineSink;
}

export interface Supervisor {
  /** The child running now (undefined while waiting to restart). */
  readonly current: Child | undefined;
  /** How many times the child was restarted after dying. */
  readonly restarts: number;
  /** Stops restarting, then stops the current child. */
  stop(): Promise<void>;
}

/** Keeps one child running: when it dies it is restarted with exponential backoff, as a container platform would. */
export function supervise(start: () => Child, options: SupervisorOptions): Supervisor {
  const minDelay = options.minDelayMs ?? 500;
  const maxDelay = options.maxDelayMs ?? 30_000;
  const stableAfter = options.stableAfterMs ?? 60_000;
  const grace = options.graceMs ?? DEFAULT_GRACE_MS;
  const abort = new AbortController();
  let current: Child | undefined;
  let restarts = 0;

  async function loop(): Promise<void> {
    let delay = minDelay;
    while (!abort.signal.aborted) {
      const child = start();
      current = child;
      const startedAt = Date.now();
      let reason: string;
      try {
        reason = describeExit(await child.exited);
      } catch (error) {
        reason = (error as Error).message;
      }
      current = undefined;
      // The leader is gone; anything it left in its group would hold ports or files of the next one.
      await child.stop(grace);
      if (abort.signal.aborted) return;
      if (Date.now() - startedAt >= stableAfter) delay = minDelay;
      options.log(`${child.name} (pid ${child.pid}) exited with ${reason}; restarting in ${delay} ms`);
      try {
        await sleep(delay, undefined, { signal: abort.signal });
      } catch {
        return; // stopped while waiting
      }
      delay = Math.min(delay * 2, maxDelay);
      restarts += 1;
    }
  }

  const running = loop();
  return {
    get current() {
      return current;
    },
    get restarts() {
      return restarts;
    },
    async stop() {
      abort.abort();
      await current?.stop(grace);
      await running;
    },
  };
}
