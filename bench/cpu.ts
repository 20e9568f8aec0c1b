import { readdirSync, readFileSync } from "node:fs";

/**
 * Where CPU goes while a copy runs, from /proc (Linux only): machine-wide busy cores, and CPU seconds of
 * PostgreSQL (postmaster and its backends), the copy runner, the stack's Worker side (wrangler + workerd
 * descendants of the stack's supervisor) and the benchmark's own child programs (psql, pg_dump, pgcopydb).
 * Clock ticks are 100/s (USER_HZ on every Linux architecture Node supports).
 * Hazards: a process that starts and exits inside the interval is seen only through its parent's cutime
 * (time of waited-for children): that covers PostgreSQL backends (the postmaster reaps them) and our own
 * shell pipelines. Per-process times and /proc/stat are accounted differently in a VM (a preempted vCPU
 * still charges its running task), so the parts may add up to more than busy cores × seconds: compare
 * parts with parts, not with the machine total.
 */

const HZ = 100;

interface Stat {
  ppid: number;
  /** utime + stime, seconds. */
  own: number;
  /** cutime + cstime of waited-for children, seconds. */
  children: number;
}

function stat(pid: number | "self"): Stat | null {
  try {
    // Fields after the command name, which may hold spaces and parentheses: split after the last ')'.
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(f[1]), own: (Number(f[11]) + Number(f[12])) / HZ, children: (Number(f[13]) + Number(f[14])) / HZ };
  } catch {
    return null;
  }
}

/** User + system CPU seconds the process has used so far (its own threads, not its children). */
export function processCpuSeconds(pid: number): number {
  return stat(pid)?.own ?? NaN;
}

/** Parent of a process: the postmaster is the parent of any backend (SELECT pg_backend_pid()). */
export function parentPid(pid: number): number | null {
  return stat(pid)?.ppid ?? null;
}

function machineBusySeconds(): number {
  const v = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  return (v.reduce((a, b) => a + b, 0) - v[3]! - v[4]!) / HZ;
}

export interface CpuSplit {
  /** Average cores busy machine-wide over the interval. */
  busyCores: number;
  /** CPU seconds over the interval. */
  postgres: number | null;
  runner: number | null;
  workers: number;
  tools: number;
}

function snapshot(postmaster: number | null, runner: number | null) {
  const all = new Map<number, Stat>();
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    const s = Number.isInteger(pid) ? stat(pid) : null;
    if (s) all.set(pid, s);
  }
  // The stack's supervisor (`npm start`'s node) is the runner's parent; wrangler and workerd descend from it.
  const supervisor = runner === null ? null : (all.get(runner)?.ppid ?? null);
  const descends = (pid: number): boolean => {
    for (let p = all.get(pid)?.ppid, hops = 0; p && hops < 10; p = all.get(p)?.ppid, hops++) if (p === supervisor) return true;
    return false;
  };
  let pg = 0;
  let workers = 0;
  for (const [pid, s] of all) {
    if (postmaster !== null && s.ppid === postmaster) pg += s.own;
    else if (supervisor !== null && /workerd|wrangler/.test(readCmdline(pid)) && descends(pid)) workers += s.own;
  }
  const pm = postmaster === null ? null : stat(postmaster);
  const self = stat("self")!;
  return {
    at: performance.now(),
    busy: machineBusySeconds(),
    postgres: pm ? pg + pm.own + pm.children : null,
    runner: runner === null ? null : (stat(runner)?.own ?? null),
    workers,
    tools: self.children,
  };
}

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return "";
  }
}

/** Starts measuring; the returned function gives the split since then. */
export function cpuSplit(postmaster: number | null, runner: number | null): () => CpuSplit {
  const a = snapshot(postmaster, runner);
  return () => {
    const b = snapshot(postmaster, runner);
    const d = (x: number | null, y: number | null) => (x === null || y === null ? null : y - x);
    const busy = b.busy - a.busy;
    return {
      busyCores: busy / ((b.at - a.at) / 1000),
      postgres: d(a.postgres, b.postgres),
      runner: d(a.runner, b.runner),
      workers: b.workers - a.workers,
      tools: b.tools - a.tools,
    };
  };
}
