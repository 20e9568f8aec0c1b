import { readFileSync, writeFileSync } from "node:fs";

/**
 * Memory of a process from /proc (Linux only), for the benchmarks' runner RSS figures.
 * Hazard: VmHWM is the peak over the whole life of the process, so a per-run peak needs resetPeak() first.
 */

export interface ProcessMemory {
  rssMiB: number;
  hwmMiB: number;
}

export function processMemory(pid: number): ProcessMemory {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rssMiB: kb("VmRSS") / 1024, hwmMiB: kb("VmHWM") / 1024 };
}

/**
 * Resets VmHWM to the current RSS (`echo 5 > /proc/<pid>/clear_refs`, Linux ≥ 4.0; needs the right to write
 * the process's clear_refs, i.e. the same user or root). Returns false where that is refused: VmHWM then
 * stays the lifetime peak and the caller must say so.
 */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** Samples VmRSS every `intervalMs` (a cross-check of VmHWM); stop() returns the highest value seen. */
export function sampleRss(pid: number, intervalMs = 100): { stop(): number } {
  let peak = 0;
  const take = () => {
    try {
      peak = Math.max(peak, processMemory(pid).rssMiB);
    } catch {
      // The process died (the stack restarts the runner): the caller notices the pid change.
    }
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return peak;
    },
  };
}

export async function runnerPid(runnerUrl: string): Promise<number> {
  const res = await fetch(`${runnerUrl}/health`);
  return ((await res.json()) as { pid: number }).pid;
}
