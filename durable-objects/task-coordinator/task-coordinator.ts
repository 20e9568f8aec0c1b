import { DurableObject } from "cloudflare:workers";
import { Job, RunnerEvent, type CdcStreamStats, type JobOutcome, type TableFinished } from "../../engine/jobs/protocol";
import { createLogger, type Logger } from "../../engine/log/logger";
import { enqueueRunEvent, RUN_END_NOTIFIED_KEY } from "../../worker/src/webhooks/enqueue";
import { CHUNKS_IN_FLIGHT_PER_TABLE } from "../../engine/plan/boundaries";
import { resolveFilters } from "../../engine/plan/variables";
import type { ValidationTable } from "../../worker/src/runs/validate";
import { dropCdc, initialCdcState, lagAlert, lagWhileDown, withStreamStats } from "./cdc";
import { appendRunLogs, syncRunToD1, type RunLogEntry } from "./d1-sync";
import { buildJobs } from "./job-builder";
import { runProgress, type RunProgress } from "./progress";
import { RunSpec } from "./run-spec";
import { RunStore, type CdcState, type JobRecord, type RunRecord } from "./run-store";
import { expiredLeases, nextWake, planDispatch, retryPlan } from "./scheduling";
import { clearRun, migrate } from "./storage";

/** Result unions, not exceptions: Workers RPC drops custom error properties. */
export type StartResult = { ok: true } | { ok: false; code: string; message: string };
export type StopResult = { ok: true; status: RunRecord["status"] } | { ok: false; code: string; message: string };

const D1_SYNC_INTERVAL_MS = 1000;
const BROADCAST_INTERVAL_MS = 500;

interface JobError {
  code: string;
  message: string;
  retryable: boolean;
}

/**
 * One per task. Owns the task's current run: plans it through the runner, dispatches jobs through the
 * chunk queue with bounded parallelism, retries with backoff, expires silent runners' leases, and fans
 * progress out over hibernatable WebSockets. Every decision is persisted in SQLite before it is acted
 * on, so a restarted object resumes where it stopped (finished chunks are never dispatched again).
 */
export class TaskCoordinator extends DurableObject<Env> {
  private readonly store: RunStore;
  private readonly log: Logger;
  private lastBroadcast = 0;
  /** Each table's progress as last written to D1 (see syncRunToD1). */
  private readonly writtenTables = new Map<string, string>();
  /** Run log lines not yet in D1 (see runLog). */
  private readonly pendingLogs: RunLogEntry[] = [];

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrate(ctx.storage.sql);
    this.store = new RunStore(ctx.storage.sql);
    this.log = createLogger("coordinator", env);
  }

  private get leaseMs(): number {
    return (Number(this.env.RUNNER_LEASE_SECONDS) || 30) * 1000;
  }

  async start(input: unknown): Promise<StartResult> {
    const spec = RunSpec.parse(input);
    const current = this.store.run();
    if (current && (current.status === "running" || current.status === "queued")) {
      return { ok: false, code: "TASK_RUNNING", message: "The task is running; stop it first." };
    }
    const now = Date.now();
    clearRun(this.ctx.storage.sql);
    this.writtenTables.clear();
    this.store.insertRun(spec, now);
    this.store.insertJob("prepare", "prepare", null, null, null, false, now);
    this.runLog("info", "run started", { mode: spec.mode });
    await this.pump();
    return { ok: true };
  }

  async stop(): Promise<StopResult> {
    const run = this.store.run();
    if (!run) return { ok: false, code: "NOT_RUNNING", message: "The task has no run." };
    if (run.status !== "running" && run.status !== "queued") return { ok: true, status: run.status };
    this.store.setRun({ status: "stopped", phase: "stopped", finishedAt: Date.now() });
    this.runLog("info", "run stopped on request");
    await this.settle(true);
    return { ok: true, status: "stopped" };
  }

  /** Before the task is deleted: stops a run in progress and drops its slot and publication. */
  async release(): Promise<{ ok: true } | { ok: false; code: string; message: string }> {
    const run = this.store.run();
    if (run && (run.status === "running" || run.status === "queued")) await this.stop();
    await this.releaseSlot();
    await this.flushLogs();
    const after = this.store.run();
    if (after?.cdc && !after.cdc.dropped) {
      return { ok: false, code: "SLOT_DROP_FAILED", message: `The replication slot ${after.cdc.slot} could not be dropped on the source; try again once the source is reachable.` };
    }
    return { ok: true };
  }

  /** What POST /runs/:id/validate compares: the run's tables with their chunks and row filters. */
  validationPlan(runId: string): { ok: true; tables: ValidationTable[] } | { ok: false; code: string; message: string } {
    const run = this.store.run();
    if (!run || run.id !== runId) return { ok: false, code: "RUN_NOT_CURRENT", message: "Only the task's latest run can be validated." };
    const tables = this.store.tables();
    if (tables.length === 0) return { ok: false, code: "RUN_NOT_PLANNED", message: "The run has no planned tables yet." };
    return {
      ok: true,
      tables: tables.map((t) => ({
        ...t.prepared,
        filters: resolveFilters(run.spec.selection.filters[`${t.prepared.table.schema}.${t.prepared.table.name}`] ?? [], run.spec.variables),
      })),
    };
  }

  /** The payloads of a queued message's attempts (a batch's), leaving out those no longer wanted. */
  async jobsFor(attemptIds: string[]): Promise<{ jobs: Job[] }> {
    const run = this.store.run();
    if (!run || run.status !== "running") return { jobs: [] };
    const jobs = attemptIds.map((id) => this.store.jobByAttempt(id)).filter((j): j is JobRecord => j?.status === "dispatched");
    if (jobs.length === 0) return { jobs: [] };
    try {
      const payloads = await buildJobs(this.env, this.store, run, jobs);
      // Handed out once without clearing its range: any later delivery of a copy (a queue redelivery of
      // this very attempt to a runner that restarted after committing it, or a retry) must clear it first.
      for (const job of jobs) if (job.kind === "copy" && !job.cleanRange) this.store.requireCleanRange(job.key);
      return { jobs: payloads };
    } catch (e) {
      const err = e as { code?: string; message?: string };
      for (const job of jobs) {
        this.failAttempt(job, { code: err.code ?? "JOB_BUILD_FAILED", message: err.message ?? "The job could not be built.", retryable: false });
        if (this.store.run()?.status !== "running") break;
      }
      await this.settle(true);
      return { jobs: [] };
    }
  }

  /** The queue gave up delivering an attempt to the runner. */
  async jobUndeliverable(attemptId: string, message: string): Promise<void> {
    const job = this.store.jobByAttempt(attemptId);
    if (!job || job.status !== "dispatched" || this.store.run()?.status !== "running") return;
    this.failAttempt(job, { code: "RUNNER_UNAVAILABLE", message, retryable: true });
    await this.settle(true);
  }

  async runnerEvent(input: unknown): Promise<{ accepted: boolean }> {
    const { accepted } = await this.runnerEvents([input]);
    return { accepted: accepted[0]! };
  }

  /** Runner events in order (a batch's results and heartbeats), then one dispatch round. */
  async runnerEvents(input: unknown[]): Promise<{ accepted: boolean[] }> {
    const events = input.map((e) => RunnerEvent.parse(e));
    const accepted: boolean[] = [];
    let ended = false;
    for (const event of events) {
      const answer = this.applyEvent(event);
      accepted.push(answer !== "ignored");
      ended ||= answer === "ended";
    }
    if (ended) await this.pump();
    else if (accepted.some(Boolean)) await this.settle(false);
    return { accepted };
  }

  /** One runner event: "ignored" when it is not about an attempt the coordinator waits for. */
  private applyEvent(event: RunnerEvent): "ignored" | "progress" | "ended" {
    const run = this.store.run();
    const job = this.store.jobByAttempt(event.attemptId);
    // A superseded attempt, a finished run, or another run's event: nothing to do.
    if (!run || run.id !== event.runId || run.status !== "running" || !job || job.status !== "dispatched") return "ignored";
    const now = Date.now();
    if (event.event === "progress") {
      this.store.extendLease(job.key, now + this.leaseMs, event.rows, event.bytes, now);
      if (event.cdc && job.kind === "cdc" && run.cdc) this.streamReported(run, job, event.cdc, now);
      return "progress";
    }
    if (event.event === "failed") this.failAttempt(job, event.error);
    else this.jobSucceeded(job, event.outcome);
    return "ended";
  }

  progress(): RunProgress | null {
    const run = this.store.run();
    return run ? runProgress(run, this.store.tables(), this.store.jobs(), this.store.samples()) : null;
  }

  override async alarm(): Promise<void> {
    await this.pump();
  }

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response("expected a WebSocket", { status: 426 });
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server);
    const snapshot = this.progress();
    server.send(JSON.stringify(snapshot ?? { type: "idle" }));
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (message === "ping") ws.send(JSON.stringify({ type: "pong" }));
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    // Complete the closing handshake; the hibernation API leaves it to us.
    ws.close(code === 1005 ? 1000 : code, "closing");
  }

  /** Expires silent attempts, dispatches what the limits allow, then syncs and re-arms the alarm. */
  private async pump(): Promise<void> {
    const run = this.store.run();
    if (!run) return;
    if (run.status === "running") {
      const now = Date.now();
      for (const key of expiredLeases(this.store.jobs(), now)) {
        const job = this.store.job(key)!;
        this.failAttempt(job, { code: "RUNNER_LOST", message: "The copy runner stopped reporting on this job.", retryable: true });
      }
      // A fresh clock: retries requeued just above are due "now", which is later than `now`.
      if (this.store.run()?.status === "running") await this.dispatch(run, Date.now());
      const current = this.store.run()!;
      const down = current.status === "running" && current.cdc ? lagWhileDown(current.cdc, Date.now()) : null;
      if (down) this.recordLag(current, down);
    }
    await this.settle(true);
  }

  private async dispatch(run: RunRecord, now: number): Promise<void> {
    const limits = { parallelTables: run.spec.options.parallelTables, chunksPerTable: CHUNKS_IN_FLIGHT_PER_TABLE };
    const plan = planDispatch(this.store.jobs(), this.store.tables(), limits, now);
    for (const key of plan.activate) this.store.setTable(key, { status: "copying" }, now);
    const batchOf = new Map<string, string[]>();
    for (const batch of plan.batches) for (const key of batch) batchOf.set(key, batch);
    const attempts = new Map<string, string>();
    const messages: MessageSendRequest[] = [];
    for (const key of plan.dispatch) {
      const job = this.store.job(key)!;
      // Unique per dispatch, also across rounds of a repeating job (the runner remembers finished ids).
      const attemptId = `${run.id}/${key}#${job.attempt + 1}.${crypto.randomUUID().slice(0, 8)}`;
      const batch = batchOf.get(key);
      this.store.dispatchJob(key, attemptId, now + this.leaseMs, now, batch ? batch[0]! : null);
      attempts.set(key, attemptId);
      if (!batch) messages.push({ body: { taskId: run.taskId, runId: run.id, attemptId } });
      else if (batch.at(-1) === key) {
        const attemptIds = batch.map((k) => attempts.get(k)!);
        messages.push({ body: { taskId: run.taskId, runId: run.id, attemptId: attemptIds[0]!, attemptIds } });
      }
    }
    // The attempts are persisted first: if sending fails, their leases expire and they are retried.
    if (messages.length) await this.env.CHUNK_QUEUE.sendBatch(messages);
  }

  private jobSucceeded(job: JobRecord, outcome: JobOutcome): void {
    const now = Date.now();
    const run = this.store.run()!;
    if (outcome.type === "prepare") {
      this.store.finishJob(job.key, "done", {}, now);
      if (outcome.tables.length === 0) {
        return this.failRun({ code: "NO_TABLES_SELECTED", message: "No source table matches the task's include/exclude patterns." });
      }
      const validation = run.spec.options.validate && run.spec.mode !== "cdc" ? "pending" : "skipped";
      // A first attempt into a table prepare just created or emptied need not clear its range; `append`
      // keeps the target's rows, so there every attempt replaces its range (see engine copyChunk).
      const cleanFirst = run.spec.options.targetTableMode === "append";
      outcome.tables.forEach((prepared, ord) => {
        const tableKey = JSON.stringify([prepared.table.schema, prepared.table.name]);
        this.store.insertTable(tableKey, ord, prepared, validation);
        for (const chunk of prepared.chunks) {
          this.store.insertJob(`copy:${tableKey}:${chunk.index}`, "copy", tableKey, chunk.index, chunk, cleanFirst, now);
        }
      });
      if (outcome.cdc) this.store.setCdc(initialCdcState(outcome.cdc));
      // Change capture applies changes folded by key, not in the source's statement order, which
      // foreign keys on the target would refuse: they are recreated only after a plain full load.
      if (outcome.foreignKeys > 0 && run.spec.mode === "full_load") this.store.insertJob("foreign_keys", "foreign_keys", null, null, null, false, now);
      this.runLog("info", "planned", {
        tables: outcome.tables.length,
        chunks: outcome.tables.reduce((s, t) => s + t.chunks.length, 0),
        foreignKeys: outcome.foreignKeys,
        ...(outcome.cdc ? { slot: outcome.cdc.slot, consistentPoint: outcome.cdc.consistentPoint } : {}),
      });
      for (const t of outcome.tables.filter((t) => t.oneChunk)) {
        this.runLog("warn", "table copied as one chunk", { table: `${t.table.schema}.${t.table.name}`, reason: t.oneChunk });
      }
      if (outcome.foreignKeys > 0 && run.spec.mode !== "full_load") {
        this.runLog("warn", "foreign keys not copied", { foreignKeys: outcome.foreignKeys, reason: "change capture applies changes folded by key, which foreign keys on the target would refuse" });
      }
      if (run.spec.mode === "cdc") return this.startStreaming(now);
      this.store.setRun({ phase: "copying" });
      return;
    }
    if (outcome.type === "foreign_keys") {
      this.store.finishJob(job.key, "done", {}, now);
      if (outcome.skipped.length > 0) this.runLog("warn", "constraints not copied", { skipped: outcome.skipped });
      this.runLog("info", "foreign keys added", { added: outcome.added });
      return this.succeedRun(now);
    }
    const tableKey = job.tableKey!;
    if (outcome.type === "copy_chunk") {
      this.store.finishJob(job.key, "done", { rows: outcome.rows, bytes: outcome.bytes, checksum: outcome.checksum, snapshot: outcome.snapshot }, now);
      if (outcome.finish) {
        this.tableFinished(run, job, tableKey, outcome.finish, now);
      } else if (this.store.copiesLeft(tableKey) === 0) {
        this.store.setTable(tableKey, { status: "finishing" }, now);
        this.store.insertJob(`finish:${tableKey}`, "finish", tableKey, null, null, false, now);
      }
      // A fused finish may have ended the run (or started streaming): only a running copy phase moves on.
      const current = this.store.run()!;
      if (current.status === "running" && current.phase === "copying" && this.allCopied()) this.store.setRun({ phase: "finishing" });
      return;
    }
    if (outcome.type === "finish_table") this.tableFinished(run, job, tableKey, outcome, now);
  }

  /**
   * A table's finish reported, by its finish job or by the copy job of its only chunk (already recorded
   * done): checksums compared, then the table, and the run when it was the last, succeed.
   */
  private tableFinished(run: RunRecord, job: JobRecord, tableKey: string, finished: TableFinished, now: number): void {
    if (finished.checksums) {
      const verdict = this.compareChecksums(job, tableKey, finished.checksums, now);
      // A re-copy inserts the table's finish job again once its chunks are done.
      if (verdict === "recopy" && job.kind === "finish") this.store.deleteJob(job.key);
      if (verdict !== "equal") return;
    }
    if (job.kind === "finish") this.store.finishJob(job.key, "done", {}, now);
    const table = this.store.table(tableKey)!;
    // Passed only when this finish compared checksums (a runner that sent none proved nothing).
    const validation = table.validation === "pending" ? (finished.checksums !== null ? "passed" : "skipped") : table.validation;
    this.store.setTable(tableKey, { status: "succeeded", validation }, now);
    if (finished.skipped.length > 0) {
      this.runLog("warn", "constraints not copied", { table: this.tableName(tableKey), skipped: finished.skipped });
    }
    this.runLog("info", "table done", { table: this.tableName(tableKey) });
    if (this.store.tablesLeft() === 0) {
      if (run.spec.mode === "full_load_and_cdc") return this.startStreaming(now);
      // The foreign key job, when there is one, is dispatched now and ends the run.
      if (this.store.job("foreign_keys")) return;
      this.succeedRun(now);
    }
  }

  private succeedRun(now: number): void {
    this.store.setRun({ status: "succeeded", phase: "done", finishedAt: now });
    this.runLog("info", "run succeeded");
  }

  /**
   * Validation of a finished table: each chunk's target checksum against the one its copy read on the
   * source. A differing chunk is copied once more (its range cleared first) and the table finished again;
   * a chunk differing after its re-copy fails the run with VALIDATION_FAILED.
   */
  private compareChecksums(finish: JobRecord, tableKey: string, target: { index: number; rows: number; hash: string }[], now: number): "equal" | "recopy" | "failed" {
    const copies = this.store.copiesOf(tableKey);
    const onTarget = new Map(target.map((t) => [t.index, t]));
    const differing = copies.filter((copy) => {
      const got = onTarget.get(copy.chunkIdx!);
      return !copy.checksum || !got || got.rows !== copy.checksum.rows || got.hash !== copy.checksum.hash;
    });
    if (differing.length === 0) return "equal";
    const repeated = differing.find((copy) => copy.mismatches > 0);
    if (repeated) {
      const chunk = this.store.chunkOf(repeated.key);
      this.store.setTable(tableKey, { validation: "failed" }, now);
      this.failAttempt(finish, {
        code: "VALIDATION_FAILED",
        message: `Table ${this.tableName(tableKey)} differs from the source in key range ${JSON.stringify(chunk)} after a re-copy (source ${repeated.checksum?.rows ?? "?"} rows, target ${onTarget.get(repeated.chunkIdx!)?.rows ?? 0}).`,
        retryable: false,
      });
      return "failed";
    }
    for (const copy of differing) {
      this.runLog("warn", "checksum mismatch; copying the chunk again", {
        table: tableKey,
        chunk: this.store.chunkOf(copy.key),
        checksum: { source: copy.checksum, target: onTarget.get(copy.chunkIdx!) ?? null },
      });
      this.store.requeueJob(copy.key, now, { cleanRange: true, mismatch: true }, now);
    }
    this.store.setTable(tableKey, { status: "copying" }, now);
    if (this.store.run()!.phase === "finishing") this.store.setRun({ phase: "copying" });
    return "recopy";
  }

  /** A change stream's report: its figures, the lag alert, and a fresh retry budget once it applies. */
  private streamReported(run: RunRecord, job: JobRecord, stats: CdcStreamStats, now: number): void {
    this.recordLag(run, withStreamStats(run.cdc!, job.attemptId!, stats, now));
    if (stats.connected && job.attempt > 1) this.store.resetAttempts(job.key);
  }

  /** Stores the change capture state and raises cdc.lag_exceeded when its lag crossed the threshold. */
  private recordLag(run: RunRecord, next: CdcState): void {
    const alert = lagAlert(next, run.spec.options.cdcLagThresholdSeconds);
    this.store.setCdc(alert.state);
    if (alert.raise) {
      this.runLog("warn", "change capture lag above the threshold", { lagSeconds: alert.state.lagSeconds });
      const occurrence = String(alert.state.lagAlerts);
      // Queued in the background: delivery bookkeeping must not hold up the report or the alarm.
      this.ctx.waitUntil(enqueueRunEvent(this.env, run.tenantId, this.progress()!, { events: ["cdc.lag_exceeded"], occurrence }));
    }
  }

  /** The load is done (or there is none): apply changes from the slot until the run is stopped. */
  private startStreaming(now: number): void {
    for (const t of this.store.tables()) this.store.setTable(t.key, { status: "streaming" }, now);
    this.store.insertJob("cdc", "cdc", null, null, null, false, now);
    // Lag counts from here until the first stream reports (see lagWhileDown).
    const cdc = this.store.run()!.cdc;
    if (cdc) this.store.setCdc({ ...cdc, connected: false, lastBatchAt: now });
    this.store.setRun({ phase: "streaming" });
    this.runLog("info", "streaming changes", { slot: this.store.run()!.cdc?.slot });
  }

  /** Every end of a CDC run drops its slot and publication, so the source never keeps WAL for nobody. */
  private async releaseSlot(): Promise<void> {
    const run = this.store.run();
    if (!run?.cdc || run.cdc.dropped || run.status === "running") return;
    try {
      await dropCdc(this.env, run);
      this.store.setCdc({ ...run.cdc, dropped: true });
      this.runLog("info", "replication slot and publication dropped", { slot: run.cdc.slot });
    } catch (e) {
      const err = e as { code?: string; message?: string };
      // Left for the next stop or the task's deletion to retry; say so, since the source keeps WAL meanwhile.
      this.runLog("warn", "could not drop the replication slot", { slot: run.cdc.slot, code: err.code, error: err.message });
    }
  }

  private allCopied(): boolean {
    return this.store.copiesLeft() === 0;
  }

  /** A failed attempt: retried after a backoff while retries remain and the error allows it; else fatal. */
  private failAttempt(job: JobRecord, error: JobError): void {
    const now = Date.now();
    const cdc = this.store.run()!.cdc;
    // Until a retry reports in, nothing measures lag: it grows from the last report (lagWhileDown).
    if (job.kind === "cdc" && cdc) this.store.setCdc({ ...cdc, connected: false });
    const retry = retryPlan(job.kind, job.attempt, error, this.store.run()!.spec.options);
    if (retry) {
      const delay = retry.delayMs;
      this.store.requeueJob(job.key, now + delay, { cleanRange: job.kind === "copy", errorCode: error.code, errorMessage: error.message }, now);
      this.runLog("warn", "attempt failed; retrying", { job: job.key, attempt: job.attempt, code: error.code, error: error.message, retryInMs: delay });
      return;
    }
    this.store.finishJob(job.key, "failed", { errorCode: error.code, errorMessage: error.message }, now);
    if (job.tableKey) this.store.setTable(job.tableKey, { status: "failed", errorCode: error.code, errorMessage: error.message }, now);
    this.failRun(error);
  }

  private failRun(error: { code: string; message: string }): void {
    this.store.setRun({ status: "failed", phase: "failed", errorCode: error.code, errorMessage: error.message, finishedAt: Date.now() });
    this.runLog("error", "run failed", { code: error.code, error: error.message });
  }

  private tableName(tableKey: string): string {
    const [schema, name] = JSON.parse(tableKey) as [string, string];
    return `${schema}.${name}`;
  }

  /**
   * Pushes progress to sockets (at most every BROADCAST_INTERVAL_MS) and to D1 (when something changed, or
   * always with `force`), and arms the alarm for what comes next.
   */
  private async settle(force: boolean): Promise<void> {
    const run = this.store.run();
    if (!run) return this.flushLogs();
    const now = Date.now();
    const progress = this.progress()!;
    const terminal = run.status !== "running";
    // Every settle (each runner report, each alarm) records the running totals that rows/s and the ETA
    // are computed from; the message below carries the rate up to the previous sample.
    if (!terminal) this.store.addSample(now, progress.rowsCopied, progress.bytesCopied);
    // At most one message per interval, whatever the event rate (each is a snapshot of every table); one
    // held back goes out by the alarm armed below. The end of a run goes out at once.
    const broadcast = terminal || now - this.lastBroadcast >= BROADCAST_INTERVAL_MS;
    if (broadcast) {
      this.lastBroadcast = now;
      const message = JSON.stringify(progress);
      for (const ws of this.ctx.getWebSockets()) {
        try {
          ws.send(message);
        } catch {
          // A socket closing under us: its close handler cleans up.
        }
      }
    }
    if (terminal) await this.releaseSlot();
    const wake = terminal ? null : nextWake(this.store.jobs(), now);
    const syncDue = this.store.takeDirty() || terminal;
    if (syncDue || force) {
      const lines = this.pendingLogs.splice(0);
      await syncRunToD1(this.env.DB, run.tenantId, progress, now, this.writtenTables, lines).catch((e: unknown) => {
        // Not written: kept for the next settle.
        this.pendingLogs.unshift(...lines);
        throw e;
      });
    }
    // Once per run end: the flag is written only after the deliveries are queued (see webhooks/enqueue.ts).
    if (terminal && (await this.ctx.storage.get(RUN_END_NOTIFIED_KEY)) !== run.id) {
      if (await enqueueRunEvent(this.env, run.tenantId, progress)) await this.ctx.storage.put(RUN_END_NOTIFIED_KEY, run.id);
    }
    const nextSync = terminal ? null : now + D1_SYNC_INTERVAL_MS;
    const heldBack = broadcast ? null : this.lastBroadcast + BROADCAST_INTERVAL_MS;
    const at = [wake, nextSync, heldBack].filter((t): t is number => t !== null).sort((a, b) => a - b)[0];
    if (at !== undefined) await this.ctx.storage.setAlarm(Math.max(at, now + 50));
    else await this.ctx.storage.deleteAlarm();
    await this.flushLogs();
  }

  /**
   * Logs a run event; its D1 line is written by the next settle (or flushLogs), after what the event
   * dispatches: a D1 round trip per line no longer sits between a job's end and the next job's start.
   */
  private runLog(level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>): void {
    const run = this.store.run();
    this.log[level](message, { runId: run?.id, taskId: run?.taskId, ...fields });
    if (run) this.pendingLogs.push({ runId: run.id, tenantId: run.tenantId, level, message, fields, time: Date.now() });
  }

  private async flushLogs(): Promise<void> {
    const lines = this.pendingLogs.splice(0);
    await appendRunLogs(this.env.DB, lines).catch((e: unknown) => {
      this.pendingLogs.unshift(...lines);
      throw e;
    });
  }
}
