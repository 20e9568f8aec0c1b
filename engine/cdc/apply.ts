import postgres from "postgres";
import type { TableRef } from "../catalog/types";
import { closeDedicated } from "../copy/dedicated-connection";
import { qualify, quoteLiteral } from "../ddl/quote";
import { AppError } from "../errors/app-error";
import { classifyError } from "../errors/classify";
import { columnLiteral, deleteRowSql, deleteSql, textArrayLiteral, updateRowSql, updateSql, upsertSql, type TargetColumn } from "./apply-sql";
import { TableBatch, text, type RowValue } from "./collapse";
import { UNCHANGED_TOAST, type ColumnValue, type Relation } from "./decode";
import { CopiedBefore, type CopySnapshot } from "./copy-snapshot";
import { formatLsn, parseLsn, type Lsn } from "./lsn";
import type { Change, TransactionPiece } from "./read";
import { SESSION_PARAMETERS } from "../plan/session";
import { addMissingColumns, describeTarget, missingColumns, type TargetTable, type TypeResolver } from "./schema-change";

/**
 * Exactly-once apply (DESIGN.md §4). One ApplySession is ONE target transaction on a dedicated connection
 * (BEGIN/COMMIT sent here; never postgres.js sql.begin, see copy/dedicated-connection.ts) that:
 *  1. locks the task's checkpoint row (`_dtaas.checkpoints`, FOR UPDATE) and reads its LSN;
 *  2. skips every source transaction whose commit LSN ≤ that checkpoint (already applied before a crash
 *     that came between the target COMMIT and the slot advance);
 *  3. applies the rest, folded per key into multi-row statements (collapse.ts);
 *  4. moves the checkpoint to the last applied commit LSN and COMMITs.
 * Only after `commit()` resolves may the caller advance the slot. On any failure the connection is
 * destroyed (the server rolls back); nothing half-applied can be committed later.
 *
 * Statements are pipelined: `apply()` sends a batch's statements and returns once the PREVIOUS batch's
 * have completed, so the target works on one batch while the next is folded. Hazard: a statement that
 * fails aborts the target transaction, and a COMMIT sent after it would answer ROLLBACK without an error;
 * so `commit()` awaits every statement sent before it sends COMMIT.
 */

export interface TableMapping {
  source: TableRef;
  target: TableRef;
  /**
   * What the table's copy saw of the source (full_load_and_cdc, a table without primary key): changes
   * of transactions the copy already holds are skipped, since without a key a replay would add rows twice.
   */
  copied?: CopySnapshot | null;
}

export interface ApplyOptions {
  taskId: string;
  /** Source table → target table. A change of a table not listed fails with `TABLE_NOT_MAPPED`. */
  mapping: readonly TableMapping[];
  /** Names the type of a column added on the source (schema-change.ts sourceTypeResolver). */
  resolveType: TypeResolver;
  /**
   * Source transactions committed at or before this LSN are applied in source order, one statement per
   * change, instead of folded (see ApplySession.apply).
   */
  orderedThrough?: Lsn;
}

export interface ApplyResult {
  /** Row changes applied (truncates count one each), skipped ones excluded. */
  applied: number;
  /** Source transactions completed in this session (their final piece applied). */
  transactions: number;
  /** Source transactions skipped as already covered by the checkpoint. */
  skipped: number;
  /** Row changes (truncates one per table) skipped because the table's copy already holds them. */
  alreadyCopied: number;
  /** The checkpoint now stored: commit LSN of the last transaction applied, ever. */
  checkpoint: Lsn;
}

const CHECKPOINT_DDL = `
  CREATE SCHEMA IF NOT EXISTS _dtaas;
  CREATE TABLE IF NOT EXISTS _dtaas.checkpoints (task_id text PRIMARY KEY, lsn pg_lsn NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`;

interface TableState {
  signature: string;
  target: TargetTable;
  /** Writable columns in relation order, with their positions in the relation's tuples. */
  columns: TargetColumn[];
  positions: number[];
  /** Relation positions of the target's primary key, in key order; null when the target has none. */
  keyPositions: number[] | null;
  keyColumns: TargetColumn[];
  batch: TableBatch | null;
  /** Rows to insert into a table without primary key, in order. */
  inserts: RowValue[][];
  overriding: boolean;
  noUpdate: Set<string>;
  /** Columns owning a sequence on the target, with the furthest value applied and the value last set. */
  sequences: SequenceFollower[];
}

/**
 * Keeps a target sequence past the values applied to its column: the source's sequence hands out the
 * values, so the target's would stay where the load left it and collide once the target is written to.
 */
interface SequenceFollower {
  position: number;
  name: string;
  descending: boolean;
  /** Furthest value applied (max, or min when counting down); null before any. */
  applied: bigint | null;
  /** Value the sequence was last set past by this side. */
  set: bigint | null;
}

/**
 * The target side of a change stream: one dedicated connection kept across apply transactions, with the
 * target tables' layouts cached (looked up once per table, updated by this side's own ADD COLUMN). After
 * any failure the connection is destroyed and this object is dead: a new one starts from the catalog.
 */
export class ApplyTarget {
  /** Per source relation; valid only while the connection lives (see class comment). */
  readonly tables = new Map<string, TableState>();
  /** The state of each Relation message's object (the decoder makes one per message): no lookup by name. */
  readonly byRelation = new WeakMap<Relation, TableState>();
  /** Tables whose copy's snapshot decides which replayed changes it already holds, by source name. */
  readonly copied: ReadonlyMap<string, CopiedBefore>;
  dead = false;

  private constructor(
    readonly sql: postgres.Sql,
    readonly options: ApplyOptions,
  ) {
    this.copied = new Map(options.mapping.filter((m) => m.copied).map((m) => [relationKey(m.source), new CopiedBefore(m.copied!)]));
  }

  static async connect(targetUrl: string, options: ApplyOptions): Promise<ApplyTarget> {
    const sql = openApplyConnection(targetUrl);
    try {
      // Outside any transaction: concurrent first runs of IF NOT EXISTS DDL can collide; then retried.
      await sql.unsafe(CHECKPOINT_DDL);
      return new ApplyTarget(sql, options);
    } catch (err) {
      await closeDedicated(sql, true);
      throw classifyError(err, { subject: "the target database" });
    }
  }

  /** Opens a transaction and locks and reads the checkpoint. */
  async begin(): Promise<ApplySession> {
    if (this.dead) throw new Error("the apply target has failed");
    try {
      const task = quoteLiteral(this.options.taskId);
      // The row lock serializes two sessions of one task: the second waits, then sees the first's checkpoint.
      // Both sent at once (simple queries pipeline): one round trip.
      // Deferrable constraints of the target are checked at COMMIT: a folded batch (or one statement per
      // row where the source had one for many) may pass through states the source never had between two
      // of its statements, but never at a source commit.
      const opened = this.sql.unsafe(
        `BEGIN; SET CONSTRAINTS ALL DEFERRED; INSERT INTO _dtaas.checkpoints (task_id, lsn) VALUES (${task}, '0/0') ON CONFLICT (task_id) DO NOTHING`,
      );
      opened.catch(() => {}); // awaited below, after the read that follows it
      const [row] = await this.sql.unsafe<{ lsn: string }[]>(`SELECT lsn::text AS lsn FROM _dtaas.checkpoints WHERE task_id = ${task} FOR UPDATE`);
      await opened;
      return new ApplySession(this, parseLsn(row!.lsn));
    } catch (err) {
      await this.close(true);
      throw classifyError(err, { subject: "the target database" });
    }
  }

  /** Closes gracefully, or destroys the connection (the server rolls back) when `failed`. */
  async close(failed: boolean): Promise<void> {
    if (this.dead && failed) return;
    this.dead = true;
    await closeDedicated(this.sql, failed);
  }
}

export class ApplySession {
  private dead = false;
  private lastApplied: Lsn;
  private openXid: number | null = null;
  private foldedAny = false;
  private lastSeen = 0n;
  private readonly result = { applied: 0, transactions: 0, skipped: 0, alreadyCopied: 0 };
  /** Statements sent for the batch being applied, and the completion of the batch before it. */
  private sent: Promise<unknown>[] = [];
  private previous: Promise<unknown> | null = null;
  private readonly sql: postgres.Sql;
  private readonly options: ApplyOptions;
  private readonly tables: Map<string, TableState>;

  /** Use ApplyTarget.begin. */
  constructor(
    private readonly target: ApplyTarget,
    /** The checkpoint read when the session began. */
    readonly checkpoint: Lsn,
  ) {
    this.lastApplied = checkpoint;
    this.sql = target.sql;
    this.options = target.options;
    this.tables = target.tables;
  }

  /** Some change of this session was folded (not applied in source order, see `apply`). */
  get folded(): boolean {
    return this.foldedAny;
  }

  /** Commit LSN of the last source transaction handed to `apply` (0 before any). */
  get through(): Lsn {
    return this.lastSeen;
  }

  /** True between the pieces of one source transaction: the session cannot commit yet. */
  get insideTransaction(): boolean {
    return this.openXid !== null;
  }

  /**
   * Applies pieces in order (inside the open transaction). Pieces of a transaction at or below the
   * checkpoint are skipped. Everything folded is sent before this returns, and the statements of the
   * previous call have completed: at most two calls' statements (and their rows) are held at once.
   */
  async apply(pieces: readonly TransactionPiece[]): Promise<void> {
    await this.guard(async () => {
      for (const piece of pieces) {
        if (piece.commitLsn < this.lastSeen) throw new Error(`transactions out of commit order at ${formatLsn(piece.commitLsn)}`);
        this.lastSeen = piece.commitLsn;
        this.openXid = piece.final ? null : piece.xid;
        if (piece.commitLsn <= this.checkpoint) {
          if (piece.final) this.result.skipped++;
          continue;
        }
        const ordered = this.options.orderedThrough !== undefined && piece.commitLsn <= this.options.orderedThrough;
        if (!ordered && piece.changes.length > 0) this.foldedAny = true;
        let alreadyCopied = 0;
        for (const change of piece.changes) {
          if (change.kind === "truncate") {
            const relations = change.relations.filter((r) => !this.copiedBefore(r, piece));
            alreadyCopied += change.relations.length - relations.length;
            if (relations.length > 0) await this.truncate({ ...change, relations });
            continue;
          }
          if (this.copiedBefore(change.relation, piece)) {
            alreadyCopied++;
            continue;
          }
          const state = this.known(change.relation) ?? (await this.stateFor(change.relation));
          if (!state.batch?.add(change)) this.applyUnfolded(state, change);
          if (state.sequences.length > 0 && change.kind !== "delete") follow(state.sequences, change.new);
          // Folding is exact per primary key, not for a secondary UNIQUE index: two rows handing a value
          // over in one batch can collide in the multi-row statement. In source order, one change at a
          // time, each statement meets the state the source's row change met.
          if (ordered) this.flush(state);
        }
        this.result.applied += piece.changes.length - alreadyCopied;
        this.result.alreadyCopied += alreadyCopied;
        if (piece.final) {
          this.result.transactions++;
          this.lastApplied = piece.commitLsn;
        }
      }
      for (const state of this.tables.values()) this.flush(state);
      const batch = Promise.all(this.sent);
      batch.catch(() => {}); // awaited by the next apply() or commit(); a rejection surfaces there
      this.sent = [];
      const previous = this.previous;
      this.previous = batch;
      await previous;
    });
  }

  /**
   * The table's copy already holds this transaction's changes (TableMapping.copied). Asked per change, so
   * a stream without copy snapshots (every keyed table, every `cdc` run) does nothing here.
   */
  private copiedBefore(relation: TableRef, piece: TransactionPiece): boolean {
    if (this.target.copied.size === 0) return false;
    return this.target.copied.get(relationKey(relation))?.saw(piece.xid, piece.commitLsn) ?? false;
  }

  /** Stores the checkpoint and commits; refuses while a source transaction is only partly applied. */
  async commit(): Promise<ApplyResult> {
    return this.guard(async () => {
      if (this.openXid !== null) throw new Error(`commit inside source transaction ${this.openXid}: its remaining pieces were not applied`);
      await this.previous;
      await Promise.all(this.sent);
      const checkpoint =
        this.lastApplied > this.checkpoint
          ? `UPDATE _dtaas.checkpoints SET lsn = '${formatLsn(this.lastApplied)}', updated_at = now() WHERE task_id = ${quoteLiteral(this.options.taskId)}; `
          : "";
      const moved = [...this.tables.values()].flatMap((t) => t.sequences.filter((f) => f.applied !== null && f.applied !== f.set));
      const setvals = moved.map((f) => `${setvalSql(f)}; `).join("");
      await this.sql.unsafe(`${checkpoint}${setvals}COMMIT`);
      for (const f of moved) f.set = f.applied;
      this.dead = true;
      return { ...this.result, checkpoint: this.lastApplied };
    });
  }

  /** Gives up: destroys the connection (the target's too), so the server rolls the transaction back. */
  async abort(): Promise<void> {
    if (this.dead) return;
    this.dead = true;
    await this.target.close(true);
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    if (this.dead) throw new Error("the apply session has ended");
    try {
      return await work();
    } catch (err) {
      await this.abort();
      throw classifyError(err, { subject: "the target database" });
    }
  }

  private async truncate(change: Extract<Change, { kind: "truncate" }>): Promise<void> {
    const states: TableState[] = [];
    for (const r of change.relations) states.push(this.known(r) ?? (await this.stateFor(r)));
    for (const state of this.tables.values()) this.flush(state);
    const targets = [...new Set(states.map((s) => qualify(s.target.ref)))];
    // No CASCADE on the target: it could empty tables the task does not own.
    this.send(`TRUNCATE ${targets.join(", ")}${change.restartIdentity ? " RESTART IDENTITY" : ""}`);
  }

  /** A row change the table's batch did not take: queued (unkeyed insert) or sent after a flush, in order. */
  private applyUnfolded(state: TableState, change: Exclude<Change, { kind: "truncate" }>): void {
    if (state.batch) {
      if (change.kind !== "update") throw new Error(`a ${change.kind} was not folded`);
      this.flush(state);
      this.applyKeyedAlone(state, change);
      return;
    }
    if (change.kind === "insert") {
      state.inserts.push(state.positions.map((p) => text(change.new[p])));
      return;
    }
    this.flush(state);
    this.applyUnkeyedAlone(state, change);
  }

  /** Sends a statement on the connection, in order after everything sent before it. */
  private send(statement: string, params?: RowValue[]): void {
    const sent = params ? this.sql.unsafe(statement, params, { prepare: true }) : this.sql.unsafe(statement);
    sent.catch(() => {}); // awaited with its batch
    this.sent.push(sent);
  }

  /** An update the batch could not fold: keyed by its old key, setting every column that was sent. */
  private applyKeyedAlone(state: TableState, change: Extract<Change, { kind: "update" }>): void {
    const keySource = change.old?.values ?? change.new;
    const sent = sentColumns(state, change.new);
    const params = [...state.keyPositions!.map((p) => textArrayLiteral([text(keySource[p])])), ...sent.map((x) => textArrayLiteral([x.v]))];
    this.send(updateSql(state.target.ref, state.keyColumns, sent.map((x) => x.c)), params);
  }

  /**
   * Update or delete on a target table without primary key: the first row equal to the old row (REPLICA
   * IDENTITY FULL), or else to the source's replica identity columns (a unique index, USING INDEX, or a
   * source primary key the target lacks), taken from the old key or, for an update that left them as they
   * were (no old tuple sent), from the new row.
   */
  private applyUnkeyedAlone(state: TableState, change: Exclude<Change, { kind: "truncate" | "insert" }>): void {
    const match = change.old?.kind === "full" ? state.columns.map((_, i) => i) : identityColumns(state, change.relation);
    const from = change.old ?? (change.kind === "update" ? { values: change.new } : null);
    const old = from ? match.map((i) => from.values[state.positions[i]!]) : [];
    if (match.length === 0 || !from || old.some((v) => v === UNCHANGED_TOAST)) {
      const { schema, name } = change.relation;
      throw new AppError(
        "NO_PRIMARY_KEY",
        `${schema}.${name} has no primary key on the target and its ${change.kind}s do not say which row they change: give the source table a primary key, a replica identity index, or REPLICA IDENTITY FULL.`,
        { status: 400, details: { table: { schema, name } } },
      );
    }
    const columns = match.map((i) => state.columns[i]!);
    const values = old.map((v) => text(v));
    if (change.kind === "delete") {
      this.send(deleteRowSql(state.target.ref, columns), values);
      return;
    }
    const sent = sentColumns(state, change.new);
    this.send(updateRowSql(state.target.ref, columns, sent.map((x) => x.c)), [...values, ...sent.map((x) => x.v)]);
  }

  /**
   * Sends a table's folded operations: deletes, partial updates (one statement per column set), upserts.
   * They touch disjoint keys (one operation per key), so their order among themselves does not matter.
   */
  private flush(state: TableState): void {
    const ref = state.target.ref;
    const send = (statement: string, params: RowValue[]) => this.send(statement, params);
    if (state.inserts.length > 0) {
      const rows = state.inserts;
      state.inserts = [];
      send(upsertSql(ref, state.columns, [], state), state.columns.map((_, i) => columnLiteral(rows, i)));
    }
    if (state.batch && state.batch.size > 0) {
      const { deletes, upserts, updates } = state.batch.take();
      if (deletes.length > 0) send(deleteSql(ref, state.keyColumns), state.keyColumns.map((_, i) => columnLiteral(deletes, i)));
      const byMask = new Map<string, ColumnValue[][]>();
      for (const row of updates) {
        const mask = state.positions.map((p) => (row[p] === UNCHANGED_TOAST ? "0" : "1")).join("");
        const group = byMask.get(mask) ?? [];
        group.push(row);
        byMask.set(mask, group);
      }
      const keyNames = new Set(state.keyColumns.map((c) => c.name));
      for (const [mask, rows] of byMask) {
        const set = state.columns.map((c, i) => ({ c, p: state.positions[i]! })).filter((x, i) => mask[i] === "1" && !keyNames.has(x.c.name));
        if (set.length === 0) continue;
        const keys = state.keyPositions!.map((p) => textArrayLiteral(rows.map((r) => text(r[p]))));
        const values = set.map((x) => textArrayLiteral(rows.map((r) => text(r[x.p]))));
        send(updateSql(ref, state.keyColumns, set.map((x) => x.c)), [...keys, ...values]);
      }
      if (upserts.length > 0) {
        send(upsertSql(ref, state.columns, state.target.primaryKey, state), state.positions.map((p) => columnLiteral(upserts, p)));
      }
    }
  }

  /** The table state for a relation already seen in this exact message (the common case, no await). */
  private known(relation: Relation): TableState | undefined {
    return this.target.byRelation.get(relation);
  }

  /**
   * The table state for a relation. A Relation whose columns differ from the known one (a schema change
   * on the source) first flushes what was folded under the old layout, then adds missing columns.
   */
  private async stateFor(relation: Relation): Promise<TableState> {
    const id = `${relation.schema}\u0000${relation.name}`;
    const known = this.tables.get(id);
    const signature = JSON.stringify(relation.columns.map((c) => [c.name, c.typeOid, c.typeMod]));
    if (known && known.signature === signature) {
      this.target.byRelation.set(relation, known);
      return known;
    }
    if (known) this.flush(known);
    const mapped = this.options.mapping.find((m) => m.source.schema === relation.schema && m.source.name === relation.name);
    if (!mapped) {
      throw new AppError("TABLE_NOT_MAPPED", `Changes arrived for ${relation.schema}.${relation.name}, which the task does not map to a target table.`, {
        status: 400,
        details: { table: { schema: relation.schema, name: relation.name } },
      });
    }
    let target = known?.target ?? (await describeTarget(this.sql, mapped.target));
    if (missingColumns(relation, target).length > 0) target = await addMissingColumns(this.sql, relation, target, this.options.resolveType);
    const state = buildState(relation, signature, target);
    this.tables.set(id, state);
    this.target.byRelation.set(relation, state);
    return state;
  }
}

function buildState(relation: Relation, signature: string, target: TargetTable): TableState {
  const columns: TargetColumn[] = [];
  const positions: number[] = [];
  relation.columns.forEach((c, i) => {
    const t = target.columns.get(c.name);
    if (!t) return; // a generated column on the target: never written
    columns.push({ name: c.name, type: t.type });
    positions.push(i);
  });
  let keyPositions: number[] | null = null;
  if (target.primaryKey.length > 0) {
    keyPositions = target.primaryKey.map((k) => relation.columns.findIndex((c) => c.name === k));
    if (keyPositions.includes(-1)) {
      throw new AppError(
        "REPLICA_IDENTITY_MISMATCH",
        `The primary key of ${target.ref.schema}.${target.ref.name} (${target.primaryKey.join(", ")}) has columns the source table does not send.`,
        { status: 400 },
      );
    }
  }
  const keyColumns = target.primaryKey.map((k) => ({ name: k, type: target.columns.get(k)!.type }));
  const identities = [...target.columns].filter(([, c]) => c.identity !== "");
  const sequences: SequenceFollower[] = [];
  for (const [name, sequence] of target.sequences) {
    const position = relation.columns.findIndex((c) => c.name === name);
    if (position >= 0) sequences.push({ position, name: sequence.name, descending: sequence.descending, applied: null, set: null });
  }
  return {
    signature,
    target,
    columns,
    positions,
    keyPositions,
    keyColumns,
    batch: keyPositions ? new TableBatch(keyPositions) : null,
    inserts: [],
    overriding: identities.length > 0,
    noUpdate: new Set(identities.filter(([, c]) => c.identity === "a").map(([name]) => name)),
    sequences,
  };
}

/** Notes the sequence columns' values of an applied row (integers as text; NULL and unchanged TOAST skipped). */
function follow(followers: readonly SequenceFollower[], values: readonly ColumnValue[]): void {
  for (const f of followers) {
    const v = values[f.position];
    if (typeof v !== "string") continue;
    const n = BigInt(v);
    if (f.applied === null || (f.descending ? n < f.applied : n > f.applied)) f.applied = n;
  }
}

/** Moves a sequence past `applied` unless it is further already (it never goes back). */
function setvalSql(f: SequenceFollower): string {
  const furthest = f.descending ? "least" : "greatest";
  return `SELECT setval(${quoteLiteral(f.name)}, ${furthest}(${f.applied}, last_value)) FROM ${f.name}`;
}

/** The writable columns whose new value was sent (not unchanged TOAST), with the value. */
function sentColumns(state: TableState, values: readonly ColumnValue[]): { c: TargetColumn; v: RowValue }[] {
  const out: { c: TargetColumn; v: RowValue }[] = [];
  state.columns.forEach((c, i) => {
    const v = values[state.positions[i]!];
    if (v !== UNCHANGED_TOAST) out.push({ c, v: text(v) });
  });
  return out;
}

/**
 * The apply's own connection: one connection (BEGIN/COMMIT are statements on it) whose data statements are
 * prepared, so that postgres.js sends them without first asking the server for their parameter types, and
 * pipelines them (with unnamed statements it waits for a round trip before each one).
 */
function openApplyConnection(url: string): postgres.Sql {
  return postgres(url, {
    max: 1,
    onnotice: () => {},
    connect_timeout: 30,
    connection: { ...SESSION_PARAMETERS, application_name: "dtaas-cdc-apply" },
  });
}

const relationKey = (ref: TableRef) => JSON.stringify([ref.schema, ref.name]);

/**
 * Positions (in state.columns) of the relation's replica identity columns; none unless the target writes
 * every one of them (matching on part of the identity could change another row).
 */
function identityColumns(state: TableState, relation: Relation): number[] {
  const found = state.positions.flatMap((p, i) => (relation.columns[p]?.isKey ? [i] : []));
  return found.length === relation.columns.filter((c) => c.isKey).length ? found : [];
}
