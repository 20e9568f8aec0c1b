/**
 * Pure decisions of the coordinator: what to dispatch next, when to retry, how fast the run goes.
 * No I/O here; the DO class loads rows, asks, and persists the answer before acting on it.
 */

export type JobKind = "prepare" | "copy" | "finish" | "cdc" | "foreign_keys";
export type JobStatus = "pending" | "dispatched" | "done" | "failed";
export type TableStatus = "pending" | "copying" | "finishing" | "succeeded" | "streaming" | "failed";

export interface JobState {
  key: string;
  kind: JobKind;
  tableKey: string | null;
  status: JobStatus;
  attempt: number;
  notBefore: number;
  leaseUntil: number | null;
  /** While dispatched in a batch: the batch's id, shared by its jobs (they take one of the parallel lanes). */
  lane?: string | null;
}

export interface TableState {
  key: string;
  ord: number;
  status: TableStatus;
  /** A small one-chunk table, which may share a batch with others: its estimated size. Null otherwise. */
  batchBytes?: number | null;
}

/** A table at most this big, copied as one chunk, can be batched with others. */
export const BATCH_TABLE_MAX_BYTES = 2 * 1024 * 1024;
/** A batch's limits: its tables' estimated sizes together, and how many tables. */
export const BATCH_MAX_BYTES = 8 * 1024 * 1024;
export const BATCH_MAX_TABLES = 32;

/** What a table weighs in a batch (TableState.batchBytes): only a one-chunk, unpartitioned, small table. */
export function batchBytes(table: { chunks: readonly unknown[]; sizeBytes: number; partitioned: boolean }): number | null {
  return table.chunks.length === 1 && !table.partitioned && table.sizeBytes <= BATCH_TABLE_MAX_BYTES ? Math.max(0, table.sizeBytes) : null;
}

export interface Limits {
  parallelTables: number;
  /** Chunks of one table in flight at once: 2 overlaps one chunk's dispatch latency with another's copy. */
  chunksPerTable: number;
}

export interface DispatchPlan {
  /** Job keys to dispatch now, in order. */
  dispatch: string[];
  /**
   * Groups of keys from `dispatch` handed to the runner together (each of 2 or more first copies of
   * small tables, see batchBytes); a key in no group goes alone.
   */
  batches: string[][];
  /** Tables that become active (pending → copying) with this plan. */
  activate: string[];
}

/**
 * Chooses the jobs to dispatch: at most `parallelTables` lanes busy, `chunksPerTable` chunks in flight per
 * table. A lane is a table, or a batch of small tables starting together (one runner job slot, their
 * copies run one after another), so batching never adds parallel work on the databases.
 */
export function planDispatch(jobs: JobState[], tables: TableState[], limits: Limits, now: number): DispatchPlan {
  const due = (j: JobState) => j.status === "pending" && j.notBefore <= now;
  const prepare = jobs.find((j) => j.kind === "prepare");
  if (prepare && prepare.status !== "done") return { dispatch: due(prepare) ? [prepare.key] : [], batches: [], activate: [] };

  // Change capture runs once the load is done, outside the table limits; foreign keys once every table is.
  const cdc = jobs.find((j) => j.kind === "cdc" && due(j));
  const keys = jobs.find((j) => j.kind === "foreign_keys" && due(j));
  const loaded = tables.every((t) => t.status === "succeeded");
  const byTable = new Map<string, JobState[]>();
  for (const j of jobs) {
    if (!j.tableKey) continue;
    const list = byTable.get(j.tableKey) ?? [];
    list.push(j);
    byTable.set(j.tableKey, list);
  }
  const dispatch: string[] = [];
  const activate: string[] = [];
  const batches: string[][] = [];
  const lanes = new Set<string>();
  for (const t of tables) {
    if (t.status !== "copying" && t.status !== "finishing") continue;
    const inBatch = (byTable.get(t.key) ?? []).find((j) => j.status === "dispatched" && j.lane);
    lanes.add(inBatch ? `batch:${inBatch.lane}` : `table:${t.key}`);
  }
  let active = lanes.size;
  let open: { keys: string[]; bytes: number } | null = null;
  for (const table of [...tables].sort((a, b) => a.ord - b.ord)) {
    const tableJobs = byTable.get(table.key) ?? [];
    if (table.status === "pending") {
      const copies = tableJobs.filter((j) => j.kind === "copy");
      const first = table.batchBytes != null && copies.length === 1 && due(copies[0]!) ? copies[0]! : null;
      if (first && open && open.keys.length < BATCH_MAX_TABLES && open.bytes + table.batchBytes! <= BATCH_MAX_BYTES) {
        open.keys.push(first.key);
        open.bytes += table.batchBytes!;
        activate.push(table.key);
        dispatch.push(first.key);
        continue;
      }
      if (active >= limits.parallelTables) continue;
      active++;
      activate.push(table.key);
      if (first) {
        open = { keys: [first.key], bytes: table.batchBytes! };
        batches.push(open.keys);
        dispatch.push(first.key);
        continue;
      }
    } else if (table.status !== "copying" && table.status !== "finishing") {
      continue;
    }
    if (table.status === "finishing") {
      const finish = tableJobs.find((j) => j.kind === "finish");
      if (finish && due(finish)) dispatch.push(finish.key);
      continue;
    }
    let inFlight = tableJobs.filter((j) => j.kind === "copy" && j.status === "dispatched").length;
    for (const j of tableJobs) {
      if (inFlight >= limits.chunksPerTable) break;
      if (j.kind === "copy" && due(j)) {
        dispatch.push(j.key);
        inFlight++;
      }
    }
  }
  if (cdc) dispatch.push(cdc.key);
  if (keys && loaded) dispatch.push(keys.key);
  return { dispatch, batches: batches.filter((b) => b.length > 1), activate };
}

/** Jobs whose runner went silent past their lease. */
export function expiredLeases(jobs: JobState[], now: number): string[] {
  return jobs.filter((j) => j.status === "dispatched" && j.leaseUntil !== null && j.leaseUntil < now).map((j) => j.key);
}

/** Delay before retry number `attempt` (1-based): base · 2^(attempt-1), at most 15 minutes. */
export function retryDelayMs(attempt: number, baseSeconds: number): number {
  return Math.min(15 * 60_000, baseSeconds * 1000 * 2 ** Math.max(0, attempt - 1));
}

/** The longest wait before the change stream is tried again. */
export const CDC_MAX_RETRY_DELAY_MS = 60_000;

/**
 * Whether a failed attempt is tried again, and after how long. A load job has `maxRetries`; the change
 * stream keeps trying while its errors are retryable (a source or target down for a while must not end
 * the run, which would drop the slot and lose the stream's position), waiting at most a minute.
 */
export function retryPlan(kind: JobKind, attempt: number, error: { retryable: boolean }, options: { maxRetries: number; retryDelaySeconds: number }): { delayMs: number } | null {
  if (!error.retryable) return null;
  if (kind === "cdc") return { delayMs: Math.min(CDC_MAX_RETRY_DELAY_MS, retryDelayMs(attempt, options.retryDelaySeconds)) };
  return attempt <= options.maxRetries ? { delayMs: retryDelayMs(attempt, options.retryDelaySeconds) } : null;
}

/** The earliest moment something needs the coordinator's attention, or null. */
export function nextWake(jobs: JobState[], now: number): number | null {
  let next: number | null = null;
  for (const j of jobs) {
    const t = j.status === "dispatched" ? j.leaseUntil : j.status === "pending" && j.notBefore > now ? j.notBefore : null;
    if (t !== null && (next === null || t < next)) next = t;
  }
  return next;
}

export interface Sample {
  time: number;
  rows: number;
}

/** Rows per second over the recent samples (cumulative row counts), and seconds left for `remaining` rows. */
export function throughput(samples: Sample[], remaining: number): { rowsPerSecond: number; etaSeconds: number | null } {
  if (samples.length < 2) return { rowsPerSecond: 0, etaSeconds: null };
  const first = samples[0]!;
  const last = samples[samples.length - 1]!;
  const seconds = (last.time - first.time) / 1000;
  const rowsPerSecond = seconds > 0 ? Math.max(0, (last.rows - first.rows) / seconds) : 0;
  const etaSeconds = rowsPerSecond > 0 ? Math.ceil(Math.max(0, remaining) / rowsPerSecond) : null;
  return { rowsPerSecond: Math.round(rowsPerSecond), etaSeconds };
}
