import type { CopySnapshot } from "../../engine/cdc/copy-snapshot";
import type { CdcSlot, PreparedTable } from "../../engine/jobs/protocol";
import type { RunSpec } from "./run-spec";
import { batchBytes, type JobKind, type JobState, type JobStatus, type TableState, type TableStatus } from "./scheduling";

/** Change capture progress of a run. Persisted as JSON: add fields, never rename. */
export interface CdcState extends CdcSlot {
  /** Commit LSN of the last transaction applied to the target (the target's checkpoint). */
  appliedLsn: string | null;
  /** How far the change stream has received WAL (absent on runs recorded before it was tracked). */
  receivedLsn?: string | null;
  changesApplied: number;
  transactionsApplied: number;
  lagBytes: number | null;
  lagSeconds: number | null;
  lastBatchAt: number | null;
  /** The slot and publication were dropped (the run stopped). */
  dropped: boolean;
  /** Lag is above the task's threshold and cdc.lag_exceeded was raised for it (raised again after recovery). */
  lagAlerted?: boolean;
  /** How many times cdc.lag_exceeded was raised in this run. */
  lagAlerts?: number;
  /** A change stream is connected (reports say so); false from a failed attempt until one reports again. */
  connected?: boolean;
  /** The stream attempt whose reports are counted on top of `streamBase` (the totals of earlier attempts). */
  streamAttempt?: string;
  streamBase?: { changes: number; transactions: number };
}

export interface RunRecord {
  id: string;
  taskId: string;
  tenantId: string;
  status: "queued" | "running" | "succeeded" | "failed" | "stopped";
  phase: string;
  spec: RunSpec;
  errorCode: string | null;
  errorMessage: string | null;
  startedAt: number;
  finishedAt: number | null;
  cdc: CdcState | null;
}

export interface TableRecord extends TableState {
  prepared: PreparedTable;
  chunksTotal: number;
  validation: "pending" | "passed" | "failed" | "skipped";
  errorCode: string | null;
  errorMessage: string | null;
}

export interface JobRecord extends JobState {
  chunkIdx: number | null;
  attemptId: string | null;
  cleanRange: boolean;
  mismatches: number;
  rows: number;
  bytes: number;
  /** A finished copy's source checksum (validation); null otherwise. */
  checksum: { rows: number; hash: string } | null;
  /** What a finished copy saw of the source, when its job asked (CopyChunkJob.recordSnapshot); null otherwise. */
  snapshot: CopySnapshot | null;
  errorCode: string | null;
  errorMessage: string | null;
}

type Row = Record<string, SqlStorageValue>;

/** The columns of `tables` but its (large, immutable) `info`, which toTable reads once per table. */
const TABLE_COLUMNS = "key, ord, status, chunks_total, validation, error_code, error_message";

/** Typed access to the coordinator's SQLite tables (storage.ts). */
export class RunStore {
  /**
   * Each table's PreparedTable, parsed once: its row never changes after insertTable, and parsing every
   * table's column list on each read made an event cost O(tables) JSON parsing. Emptied by insertRun
   * (the only way a run's tables are replaced); a new object (after eviction) starts empty.
   */
  private readonly prepared = new Map<string, PreparedTable>();

  constructor(private readonly sql: SqlStorage) {}

  run(): RunRecord | null {
    const r = this.sql.exec<Row>("SELECT * FROM run LIMIT 1").toArray()[0];
    if (!r) return null;
    return {
      id: r.id as string,
      taskId: r.task_id as string,
      tenantId: r.tenant_id as string,
      status: r.status as RunRecord["status"],
      phase: r.phase as string,
      spec: JSON.parse(r.spec as string) as RunSpec,
      errorCode: (r.error_code as string | null) ?? null,
      errorMessage: (r.error_message as string | null) ?? null,
      startedAt: r.started_at as number,
      finishedAt: (r.finished_at as number | null) ?? null,
      cdc: r.cdc ? (JSON.parse(r.cdc as string) as CdcState) : null,
    };
  }

  setCdc(state: CdcState): void {
    this.sql.exec("UPDATE run SET cdc = ?, dirty = 1", JSON.stringify(state));
  }

  insertRun(spec: RunSpec, now: number): void {
    this.prepared.clear();
    this.sql.exec(
      "INSERT INTO run (id, task_id, tenant_id, status, phase, spec, started_at) VALUES (?, ?, ?, 'running', 'planning', ?, ?)",
      spec.runId,
      spec.taskId,
      spec.tenantId,
      JSON.stringify(spec),
      now,
    );
  }

  setRun(changes: Partial<Pick<RunRecord, "status" | "phase" | "errorCode" | "errorMessage" | "finishedAt">>): void {
    const cols: Record<string, string> = { status: "status", phase: "phase", errorCode: "error_code", errorMessage: "error_message", finishedAt: "finished_at" };
    const sets: string[] = [];
    const args: SqlStorageValue[] = [];
    for (const [k, v] of Object.entries(changes)) {
      sets.push(`${cols[k]} = ?`);
      args.push(v as SqlStorageValue);
    }
    if (sets.length) this.sql.exec(`UPDATE run SET ${sets.join(", ")}, dirty = 1`, ...args);
  }

  markDirty(): void {
    this.sql.exec("UPDATE run SET dirty = 1");
  }

  takeDirty(): boolean {
    const dirty = this.sql.exec<{ dirty: number }>("SELECT dirty FROM run").toArray()[0]?.dirty === 1;
    if (dirty) this.sql.exec("UPDATE run SET dirty = 0");
    return dirty;
  }

  tables(): TableRecord[] {
    return this.sql.exec<Row>(`SELECT ${TABLE_COLUMNS} FROM tables ORDER BY ord`).toArray().map((r) => this.toTable(r));
  }

  table(key: string): TableRecord | undefined {
    const r = this.sql.exec<Row>(`SELECT ${TABLE_COLUMNS} FROM tables WHERE key = ?`, key).toArray()[0];
    return r ? this.toTable(r) : undefined;
  }

  private toTable(r: Row): TableRecord {
    const key = r.key as string;
    let prepared = this.prepared.get(key);
    if (!prepared) {
      const [row] = this.sql.exec<{ info: string }>("SELECT info FROM tables WHERE key = ?", key).toArray();
      prepared = JSON.parse(row!.info) as PreparedTable;
      this.prepared.set(key, prepared);
    }
    return {
      key,
      ord: r.ord as number,
      status: r.status as TableStatus,
      batchBytes: batchBytes({ chunks: prepared.chunks, sizeBytes: prepared.table.sizeBytes, partitioned: prepared.table.partitioning !== undefined }),
      prepared,
      chunksTotal: r.chunks_total as number,
      validation: r.validation as TableRecord["validation"],
      errorCode: (r.error_code as string | null) ?? null,
      errorMessage: (r.error_message as string | null) ?? null,
    };
  }

  insertTable(key: string, ord: number, prepared: PreparedTable, validation: TableRecord["validation"]): void {
    this.sql.exec(
      "INSERT INTO tables (key, ord, info, target_schema, target_name, status, chunks_total, validation) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
      key,
      ord,
      JSON.stringify(prepared),
      prepared.targetTable.schema,
      prepared.targetTable.name,
      prepared.chunks.length,
      validation,
    );
  }

  setTable(key: string, changes: { status?: TableStatus; validation?: TableRecord["validation"]; errorCode?: string; errorMessage?: string }, now: number): void {
    if (changes.status) {
      this.sql.exec("UPDATE tables SET status = ? WHERE key = ?", changes.status, key);
      if (changes.status === "copying") this.sql.exec("UPDATE tables SET started_at = ? WHERE key = ?", now, key);
      if (changes.status === "succeeded" || changes.status === "failed") this.sql.exec("UPDATE tables SET finished_at = ? WHERE key = ?", now, key);
    }
    if (changes.validation) this.sql.exec("UPDATE tables SET validation = ? WHERE key = ?", changes.validation, key);
    if (changes.errorCode) this.sql.exec("UPDATE tables SET error_code = ?, error_message = ? WHERE key = ?", changes.errorCode, changes.errorMessage ?? "", key);
    this.markDirty();
  }

  jobs(): JobRecord[] {
    return this.sql.exec<Row>("SELECT * FROM jobs ORDER BY table_key, chunk_idx").toArray().map(toJob);
  }

  /** The copy jobs of one table (an event reads these, not every job: O(chunks), not O(jobs)). */
  copiesOf(tableKey: string): JobRecord[] {
    return this.sql.exec<Row>("SELECT * FROM jobs WHERE table_key = ? AND kind = 'copy' ORDER BY chunk_idx", tableKey).toArray().map(toJob);
  }

  /** Copy jobs not done yet, of one table or of the run. */
  copiesLeft(tableKey?: string): number {
    const where = tableKey === undefined ? "" : " AND table_key = ?";
    const args = tableKey === undefined ? [] : [tableKey];
    return this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM jobs WHERE kind = 'copy' AND status <> 'done'${where}`, ...args).one().n;
  }

  /** Tables not succeeded yet. */
  tablesLeft(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM tables WHERE status <> 'succeeded'").one().n;
  }

  job(key: string): JobRecord | undefined {
    const r = this.sql.exec<Row>("SELECT * FROM jobs WHERE key = ?", key).toArray()[0];
    return r ? toJob(r) : undefined;
  }

  jobByAttempt(attemptId: string): JobRecord | undefined {
    const r = this.sql.exec<Row>("SELECT * FROM jobs WHERE attempt_id = ?", attemptId).toArray()[0];
    return r ? toJob(r) : undefined;
  }

  chunkOf(key: string): unknown {
    const r = this.sql.exec<{ chunk: string | null }>("SELECT chunk FROM jobs WHERE key = ?", key).toArray()[0];
    return r?.chunk ? JSON.parse(r.chunk) : null;
  }

  insertJob(key: string, kind: JobKind, tableKey: string | null, chunkIdx: number | null, chunk: unknown, cleanRange: boolean, now: number): void {
    this.sql.exec(
      "INSERT INTO jobs (key, kind, table_key, chunk_idx, chunk, status, clean_range, updated_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
      key,
      kind,
      tableKey,
      chunkIdx,
      chunk === null ? null : JSON.stringify(chunk),
      cleanRange ? 1 : 0,
      now,
    );
  }

  dispatchJob(key: string, attemptId: string, leaseUntil: number, now: number, lane: string | null = null): void {
    this.sql.exec(
      "UPDATE jobs SET status = 'dispatched', attempt = attempt + 1, attempt_id = ?, lease_until = ?, lane = ?, updated_at = ? WHERE key = ?",
      attemptId,
      leaseUntil,
      lane,
      now,
      key,
    );
  }

  extendLease(key: string, leaseUntil: number, rows: number, bytes: number, now: number): void {
    this.sql.exec("UPDATE jobs SET lease_until = ?, rows = ?, bytes = ?, updated_at = ? WHERE key = ?", leaseUntil, rows, bytes, now, key);
  }

  finishJob(
    key: string,
    status: JobStatus,
    fields: { rows?: number; bytes?: number; checksum?: JobRecord["checksum"]; snapshot?: CopySnapshot | null; errorCode?: string; errorMessage?: string },
    now: number,
  ): void {
    this.sql.exec(
      "UPDATE jobs SET status = ?, lease_until = NULL, rows = COALESCE(?, rows), bytes = COALESCE(?, bytes), checksum = ?, snapshot = ?, error_code = ?, error_message = ?, updated_at = ? WHERE key = ?",
      status,
      fields.rows ?? null,
      fields.bytes ?? null,
      fields.checksum ? JSON.stringify(fields.checksum) : null,
      fields.snapshot ? JSON.stringify(fields.snapshot) : null,
      fields.errorCode ?? null,
      fields.errorMessage ?? null,
      now,
      key,
    );
    this.markDirty();
  }

  deleteJob(key: string): void {
    this.sql.exec("DELETE FROM jobs WHERE key = ?", key);
  }

  /** A copy handed out without clearing its range: every later delivery of it clears the range first. */
  requireCleanRange(key: string): void {
    this.sql.exec("UPDATE jobs SET clean_range = 1 WHERE key = ?", key);
  }

  /** A long-running attempt proved healthy: its later failure starts a fresh series of retries. */
  resetAttempts(key: string): void {
    this.sql.exec("UPDATE jobs SET attempt = 1 WHERE key = ? AND status = 'dispatched'", key);
  }

  /** Puts a job back in line for another attempt; its superseded attempt id stops matching. */
  requeueJob(key: string, notBefore: number, fields: { cleanRange?: boolean; mismatch?: boolean; errorCode?: string; errorMessage?: string }, now: number): void {
    this.sql.exec(
      `UPDATE jobs SET status = 'pending', attempt_id = NULL, lease_until = NULL, not_before = ?, rows = 0, bytes = 0, checksum = NULL, snapshot = NULL,
         clean_range = MAX(clean_range, ?), mismatches = mismatches + ?, error_code = ?, error_message = ?, updated_at = ? WHERE key = ?`,
      notBefore,
      fields.cleanRange ? 1 : 0,
      fields.mismatch ? 1 : 0,
      fields.errorCode ?? null,
      fields.errorMessage ?? null,
      now,
      key,
    );
  }

  addSample(time: number, rows: number, bytes: number): void {
    this.sql.exec("INSERT OR REPLACE INTO samples (time, rows, bytes) VALUES (?, ?, ?)", time, rows, bytes);
    this.sql.exec("DELETE FROM samples WHERE time < ?", time - 15_000);
  }

  samples(): { time: number; rows: number }[] {
    return this.sql.exec<{ time: number; rows: number }>("SELECT time, rows FROM samples ORDER BY time").toArray();
  }
}

function toJob(r: Row): JobRecord {
  return {
    key: r.key as string,
    kind: r.kind as JobKind,
    tableKey: (r.table_key as string | null) ?? null,
    chunkIdx: (r.chunk_idx as number | null) ?? null,
    status: r.status as JobStatus,
    attempt: r.attempt as number,
    attemptId: (r.attempt_id as string | null) ?? null,
    leaseUntil: (r.lease_until as number | null) ?? null,
    lane: (r.lane as string | null) ?? null,
    notBefore: r.not_before as number,
    cleanRange: r.clean_range === 1,
    mismatches: r.mismatches as number,
    rows: r.rows as number,
    bytes: r.bytes as number,
    checksum: r.checksum ? (JSON.parse(r.checksum as string) as JobRecord["checksum"]) : null,
    snapshot: r.snapshot ? (JSON.parse(r.snapshot as string) as CopySnapshot) : null,
    errorCode: (r.error_code as string | null) ?? null,
    errorMessage: (r.error_message as string | null) ?? null,
  };
}
