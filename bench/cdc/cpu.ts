import { readFileSync } from "node:fs";
import type postgres from "postgres";

/**
 * CPU seconds (user + system) of the processes that do a catch-up, read from /proc/<pid>/stat (Linux, and
 * the server must run on this machine, as the stack's embedded PostgreSQL does). On two cores the sum of
 * the pipeline's processes, not only its slowest stage, decides how fast a backlog drains.
 */

/** Clock ticks per second of /proc times (CLK_TCK; 100 on Linux for x86 and arm64). */
const TICKS = 100;

/** CPU seconds a process has used; 0 for a process that is gone (it used what it used before: unknown). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may itself contain spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return 0;
  }
}

/** Server pids of a catch-up: the walsender of the source database's slot and the applying backends. */
export async function serverPids(admin: postgres.Sql, sourceDatabase: string, apply: { database: string; application: string } | { subscription: string }) {
  const [walsender] = await admin<{ pid: number }[]>`SELECT active_pid AS pid FROM pg_replication_slots WHERE database = ${sourceDatabase} AND active_pid IS NOT NULL`;
  const appliers =
    "subscription" in apply
      ? await admin<{ pid: number }[]>`SELECT pid FROM pg_stat_subscription WHERE subname = ${apply.subscription} AND pid IS NOT NULL`
      : await admin<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE datname = ${apply.database} AND application_name = ${apply.application}`;
  return { walsender: walsender?.pid ?? null, apply: appliers.map((r) => r.pid) };
}

export interface CpuShares {
  walsender: number;
  apply: number;
  runner: number | null;
  /** Wall-clock seconds the figures were taken over. */
  seconds: number;
}

/** CPU seconds the given pids have used so far, stamped with `seconds` (a wall clock). */
export function readCpu(pids: { walsender: number | null; apply: number[]; runner?: number }, seconds: number): CpuShares {
  return {
    walsender: pids.walsender === null ? 0 : cpuSeconds(pids.walsender),
    apply: pids.apply.reduce((s, pid) => s + cpuSeconds(pid), 0),
    runner: pids.runner === undefined ? null : cpuSeconds(pids.runner),
    seconds,
  };
}

export function cpuBetween(before: CpuShares, after: CpuShares): CpuShares {
  const round = (v: number) => Math.round(v * 100) / 100;
  return {
    walsender: round(after.walsender - before.walsender),
    apply: round(after.apply - before.apply),
    runner: after.runner === null || before.runner === null ? null : round(after.runner - before.runner),
    seconds: round(after.seconds - before.seconds),
  };
}
