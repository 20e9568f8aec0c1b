/**
 * Where a DTaaS run's wall time goes, from the copy runner's `job succeeded` lines in the stack's output
 * (each carries the job type, its attempt id and `ms`, the runner's accept → outcome time; its start is
 * taken as end − ms). Times are ms relative to the benchmark's start request (same machine clock).
 * Hazard: the readable log format carries only UTC HH:MM:SS.mmm, so times are unwrapped around the start
 * request (a run crossing midnight UTC still lines up).
 */

export interface JobSpan {
  type: string;
  /** The coordinator's job key (`prepare`, `copy:<table>:<n>`, `finish:<table>`) with `#attempt`. */
  attempt: string;
  startMs: number;
  endMs: number;
  ms: number;
  rows: number;
  /** A copy job that finished its table (its only chunk): the finish's part of `ms`, at its end. */
  finishMs: number | null;
}

export interface Breakdown {
  jobs: JobSpan[];
  /** Start request → the runner starts prepare (API, coordinator, queue, consumer, dispatch). */
  toFirstJobMs: number | null;
  prepareMs: number | null;
  /** Copy jobs in start order, each with the wait before it: start − the latest end of a job before it. */
  chunks: (JobSpan & { waitMs: number })[];
  /** First chunk start → last chunk end, ms (chunks of a table overlap). */
  copyPhaseMs: number | null;
  finishMs: number | null;
  finishWaitMs: number | null;
  /** The table was finished by its chunk's copy job, right after the chunk committed. */
  finishInCopyJob: boolean;
  /** Last job's end → the benchmark saw `succeeded` (coordinator result, D1 write, 50 ms polling). */
  tailMs: number | null;
  /** Wall time with no job running on the runner, ms. */
  idleMs: number;
  totalMs: number;
  /** The coordinator's run log lines (GET /runs/:id/logs), ms after the start request. */
  events: { atMs: number; message: string }[];
}

const DAY = 86_400_000;

function msOfDay(line: string): number | null {
  const t = /\b(\d\d):(\d\d):(\d\d)\.(\d\d\d)\b/.exec(line);
  if (!t) return null;
  return ((Number(t[1]) * 60 + Number(t[2])) * 60 + Number(t[3])) * 1000 + Number(t[4]);
}

/** A log line's fields: JSON format (`{"time":…,"ms":…}`) or the readable one (`… key=value key=value`). */
function fieldsOf(line: string): Record<string, string> {
  const brace = line.indexOf('{"');
  if (brace >= 0) {
    try {
      const record = JSON.parse(line.slice(brace)) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, String(v)]));
    } catch {
      // Not a JSON record after all: read it as a readable line.
    }
  }
  return Object.fromEntries([...line.matchAll(/\b(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
}

/** The runner's finished jobs of run `runId` among stack output lines (readable or JSON log format). */
export function runnerJobs(lines: readonly string[], runId: string, startedAtMs: number): JobSpan[] {
  const spans: JobSpan[] = [];
  for (const line of lines) {
    if (!line.includes("job succeeded") || !line.includes(runId)) continue;
    const f = fieldsOf(line);
    const ms = Number(f.ms);
    let end: number;
    if (f.time && Number.isFinite(Date.parse(f.time))) end = Date.parse(f.time) - startedAtMs;
    else {
      const at = msOfDay(line);
      if (at === null) continue;
      end = at - (startedAtMs % DAY);
      if (end < -DAY / 2) end += DAY;
      if (end > DAY / 2) end -= DAY;
    }
    if (!Number.isFinite(ms)) continue;
    const attemptId = f.attemptId ?? "";
    spans.push({
      type: f.job ?? "?",
      attempt: attemptId.slice(attemptId.indexOf("/") + 1),
      startMs: end - ms,
      endMs: end,
      ms,
      rows: Number(f.rows ?? 0),
      finishMs: f.finishMs === undefined ? null : Number(f.finishMs),
    });
  }
  return spans.sort((a, b) => a.startMs - b.startMs);
}

export function breakdown(jobs: JobSpan[], totalMs: number, logs: { time: number; message: string }[], startedAtMs: number): Breakdown {
  const prepare = jobs.find((j) => j.type === "prepare");
  const finishJob = jobs.find((j) => j.type.startsWith("finish"));
  const fused = jobs.find((j) => j.type.startsWith("copy") && j.finishMs !== null);
  const waitBefore = (j: JobSpan) => {
    const ends = jobs.filter((o) => o !== j && o.endMs <= j.startMs).map((o) => o.endMs);
    return j.startMs - (ends.length ? Math.max(...ends) : 0);
  };
  // A copy job's own finish is not copying: its chunk ends where the finish starts.
  const chunks = jobs.filter((j) => j.type.startsWith("copy")).map((j) => ({ ...j, endMs: j.endMs - (j.finishMs ?? 0), waitMs: waitBefore(j) }));
  // Idle = total minus the union of job spans (spans overlap when chunks run side by side).
  let busy = 0;
  let reach = 0;
  for (const j of jobs) {
    const from = Math.max(j.startMs, reach, 0);
    if (j.endMs > from) busy += j.endMs - from;
    reach = Math.max(reach, j.endMs);
  }
  const copyPhaseMs = chunks.length ? Math.max(...chunks.map((c) => c.endMs)) - Math.min(...chunks.map((c) => c.startMs)) : null;
  const lastEnd = jobs.length ? Math.max(...jobs.map((j) => j.endMs)) : null;
  return {
    jobs,
    toFirstJobMs: jobs[0]?.startMs ?? null,
    prepareMs: prepare?.ms ?? null,
    chunks,
    copyPhaseMs,
    finishMs: finishJob?.ms ?? fused?.finishMs ?? null,
    finishWaitMs: finishJob ? waitBefore(finishJob) : fused ? 0 : null,
    finishInCopyJob: !finishJob && fused !== undefined,
    tailMs: lastEnd === null ? null : totalMs - lastEnd,
    idleMs: totalMs - busy,
    totalMs,
    events: logs.map((l) => ({ atMs: l.time - startedAtMs, message: l.message })),
  };
}
