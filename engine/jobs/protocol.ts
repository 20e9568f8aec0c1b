import { z } from "zod";
import { TableSelection, TaskMode, TaskOptions, Variables } from "../task-config";

/**
 * The messages between the TaskCoordinator (via the chunk queue) and the copy runner, and the events
 * the runner reports back. Every job carries `attemptId`; the coordinator accepts events only for the
 * attempt it is waiting for, so a late report from a superseded attempt changes nothing.
 * Persisted in queue messages and DO storage as JSON: do not rename fields.
 */

export const Connection = z.object({ kind: z.enum(["postgres", "neon"]), url: z.string().min(1) });
export type Connection = z.infer<typeof Connection>;

const TableRef = z.object({ schema: z.string(), name: z.string() });

const ColumnInfo = z.object({
  name: z.string(),
  position: z.number(),
  dataType: z.string(),
  typeSchema: z.string(),
  typeName: z.string(),
  typeKind: z.enum(["b", "e", "d", "r", "m", "c", "p"]),
  isArray: z.boolean(),
  nullable: z.boolean(),
  defaultExpr: z.string().nullable(),
  generated: z.enum(["", "s"]),
  recompute: z.boolean().optional(),
  identity: z.enum(["", "a", "d"]),
  collation: TableRef.optional(),
  sequence: z
    .object({
      schema: z.string(), name: z.string(), type: z.string(),
      start: z.string(), increment: z.string(), min: z.string(), max: z.string(), cache: z.string(), cycle: z.boolean(),
    })
    .optional(),
});

interface PartitioningShape {
  key: string;
  partitions: { schema: string; name: string; bound: string; partitioning?: PartitioningShape }[];
}

const Partitioning: z.ZodType<PartitioningShape> = z
  .lazy(() =>
    z.object({
      key: z.string(),
      partitions: z.array(z.object({ schema: z.string(), name: z.string(), bound: z.string(), partitioning: Partitioning.optional() })),
    }),
  )
  .meta({ id: "Partitioning" });

export const TableInfoSchema = z.object({
  schema: z.string(),
  name: z.string(),
  columns: z.array(ColumnInfo),
  primaryKey: z.array(z.string()),
  uniqueKey: z.array(z.string()).optional(),
  estimatedRows: z.number(),
  sizeBytes: z.number(),
  partitioning: Partitioning.optional(),
  replicaIdentity: z.boolean().optional(),
});

export const ChunkSchema = z.object({
  index: z.number().int().min(0),
  lo: z.array(z.string()).nullable(),
  hi: z.array(z.string()).nullable(),
  wholeTable: z.boolean(),
});

/** engine/cdc/copy-snapshot.ts CopySnapshot. */
export const CopySnapshotSchema = z.object({ xmin: z.string(), xmax: z.string(), xip: z.array(z.string()), lsn: z.string() });

const JobBase = z.object({
  taskId: z.string(),
  runId: z.string(),
  /** Unique per dispatch: `<jobKey>#<attempt>`. */
  attemptId: z.string(),
  /** Where the runner posts progress and the result (the Worker's /internal/runner/events). */
  callbackUrl: z.string().url(),
  source: Connection,
  target: Connection,
});

export const PrepareJob = JobBase.extend({
  type: z.literal("prepare"),
  mode: TaskMode,
  selection: TableSelection,
  options: TaskOptions,
  variables: Variables,
});
export type PrepareJob = z.infer<typeof PrepareJob>;

/** Row filters with variables already substituted. */
const ResolvedFilters = z.array(z.object({ column: z.string(), op: z.string(), value: z.unknown().optional() }));

export const CopyChunkJob = JobBase.extend({
  type: z.literal("copy_chunk"),
  table: TableInfoSchema,
  targetTable: TableRef,
  chunk: ChunkSchema,
  /** Row filters of this table with variables already substituted. */
  filters: ResolvedFilters,
  validate: z.boolean(),
  /** Delete the chunk's range on the target first (a retry, or a table that may already hold rows). */
  cleanRange: z.boolean(),
  /**
   * The table's only chunk: finish the table in the same job once the chunk is committed, as a
   * finish_table job would (`created`; with `checksum`, the target's checksum of this chunk). Saves the
   * round trip through the coordinator and the queue between the two jobs.
   */
  finish: z.object({ created: z.boolean(), checksum: z.boolean() }).nullable().default(null),
  /**
   * Report what the COPY saw of the source (the outcome's `snapshot`): a table without primary key in a
   * run whose changes are replayed after the load, where the replay must skip what the copy holds.
   */
  recordSnapshot: z.boolean().default(false),
});
export type CopyChunkJob = z.infer<typeof CopyChunkJob>;

export const FinishTableJob = JobBase.extend({
  type: z.literal("finish_table"),
  table: TableInfoSchema,
  targetTable: TableRef,
  /** The target table was created by this run: add its primary key and indexes. */
  created: z.boolean(),
  /**
   * With validation: the table's whole chunk plan (and its row filters, variables substituted), to
   * checksum the target per chunk. The coordinator compares with the copies' source checksums.
   */
  checksum: z
    .object({
      chunks: z.array(ChunkSchema),
      filters: ResolvedFilters,
    })
    .nullable()
    .default(null),
});
export type FinishTableJob = z.infer<typeof FinishTableJob>;

/**
 * Change capture: stream the slot and apply changes until the coordinator stops wanting this attempt (it
 * answers a progress report with `accepted: false`) or the stream fails. Never succeeds by itself.
 */
export const CdcStreamJob = JobBase.extend({
  type: z.literal("cdc_stream"),
  slot: z.string(),
  publication: z.string(),
  /**
   * `copied`: what the table's copy saw of the source (a table without primary key in full_load_and_cdc):
   * changes of transactions it already holds are not applied again. Null otherwise.
   */
  tables: z.array(z.object({ table: TableInfoSchema, targetTable: TableRef, copied: CopySnapshotSchema.nullable().default(null) })),
});
export type CdcStreamJob = z.infer<typeof CdcStreamJob>;

/**
 * After every table is finished (full_load only): the source's foreign keys among the run's tables,
 * on the tables the run created (engine/ddl/foreign-keys.ts).
 */
export const ForeignKeysJob = JobBase.extend({
  type: z.literal("foreign_keys"),
  tables: z.array(z.object({ table: TableRef, targetTable: TableRef, created: z.boolean(), partitioned: z.boolean().default(false) })),
});
export type ForeignKeysJob = z.infer<typeof ForeignKeysJob>;

export const Job = z.discriminatedUnion("type", [PrepareJob, CopyChunkJob, FinishTableJob, CdcStreamJob, ForeignKeysJob]);
export type Job = z.infer<typeof Job>;

/**
 * Copy jobs of several small one-chunk tables of one run, handed over in one request: the runner runs
 * them one after another as one job slot and reports them together (RunnerEventBatch). Each keeps its
 * own attempt: a table's failure retries that table alone.
 */
export const JobBatch = z.object({ type: z.literal("batch"), jobs: z.array(CopyChunkJob).min(1) });
export type JobBatch = z.infer<typeof JobBatch>;

/** A table the prepare job selected and made ready on the target, with its chunks. */
export const PreparedTable = z.object({
  table: TableInfoSchema,
  targetTable: TableRef,
  created: z.boolean(),
  chunks: z.array(ChunkSchema),
  /** Why the table is copied as one chunk whatever its size (engine/plan/key-collation.ts), or null. */
  oneChunk: z.string().nullable().default(null),
});
export type PreparedTable = z.infer<typeof PreparedTable>;

export const ChunkChecksum = z.object({ rows: z.number(), hash: z.string() });

/** The slot a CDC task reads; created during prepare, before any chunk is copied (its consistent point). */
export const CdcSlot = z.object({ slot: z.string(), publication: z.string(), consistentPoint: z.string() });
export type CdcSlot = z.infer<typeof CdcSlot>;

/** A change stream's figures since its attempt started, sent with every progress report. */
export const CdcStreamStats = z.object({
  /** The replication stream is open (the source and target answered). */
  connected: z.boolean(),
  changes: z.number(),
  transactions: z.number(),
  /** Commit LSN of the last applied transaction (the target checkpoint); null before the first. */
  appliedLsn: z.string().nullable(),
  /** How far the stream has received WAL; null before anything arrived. */
  receivedLsn: z.string().nullable(),
  /** Bytes of WAL the slot still holds back. */
  lagBytes: z.number(),
  /** Seconds since the source commit of the oldest change received but not yet applied; 0 when none. */
  lagSeconds: z.number(),
});
export type CdcStreamStats = z.infer<typeof CdcStreamStats>;

/** Source constraints the target did not take as they are, each with the reason. */
const SkippedConstraints = z.array(z.object({ constraint: z.string(), reason: z.string() }));

/** What finishing a table reports (a finish_table job, or a copy job that finished its table). */
export const TableFinished = z.object({
  /** Source CHECK constraints the target could not take (an expression naming what the target lacks). */
  skipped: SkippedConstraints.default([]),
  /** With checksums asked for: the target's checksum of every chunk, by chunk index. */
  checksums: z.array(ChunkChecksum.extend({ index: z.number() })).nullable().default(null),
});
export type TableFinished = z.infer<typeof TableFinished>;

export const JobOutcome = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("prepare"),
    tables: z.array(PreparedTable),
    cdc: CdcSlot.nullable().default(null),
    /** Source foreign keys on the tables prepare created (those a `foreign_keys` job would recreate or report). */
    foreignKeys: z.number().int().min(0).default(0),
  }),
  z.object({
    type: z.literal("copy_chunk"),
    rows: z.number(),
    bytes: z.number(),
    /** Present when validation ran: the checksum of the rows the COPY read (its snapshot on the source). */
    checksum: ChunkChecksum.nullable(),
    /** With the job's `finish`: the table finished too. */
    finish: TableFinished.nullable().default(null),
    /** With the job's `recordSnapshot`: what the COPY saw of the source. */
    snapshot: CopySnapshotSchema.nullable().default(null),
  }),
  z.object({ type: z.literal("finish_table"), ...TableFinished.shape }),
  z.object({
    type: z.literal("foreign_keys"),
    /** Keys now on the target, validated or NOT VALID as on the source. */
    added: z.number(),
    /** Keys not recreated (referenced table outside the task, the target cannot take it) or left NOT VALID. */
    skipped: SkippedConstraints,
  }),
]);
export type JobOutcome = z.infer<typeof JobOutcome>;

export const RunnerEvent = z.discriminatedUnion("event", [
  z.object({
    event: z.literal("progress"),
    taskId: z.string(),
    runId: z.string(),
    attemptId: z.string(),
    rows: z.number(),
    bytes: z.number(),
    cdc: CdcStreamStats.optional(),
  }),
  z.object({ event: z.literal("succeeded"), taskId: z.string(), runId: z.string(), attemptId: z.string(), outcome: JobOutcome }),
  z.object({
    event: z.literal("failed"),
    taskId: z.string(),
    runId: z.string(),
    attemptId: z.string(),
    error: z.object({ code: z.string(), message: z.string(), retryable: z.boolean() }),
  }),
]);
export type RunnerEvent = z.infer<typeof RunnerEvent>;

/**
 * Several events of one task in one report (a batch's results and heartbeats). The coordinator handles
 * them in order and answers `accepted` per event, in the same order.
 */
export const RunnerEventBatch = z.object({ taskId: z.string(), events: z.array(RunnerEvent).min(1).max(500) });
export type RunnerEventBatch = z.infer<typeof RunnerEventBatch>;

/** The chunk queue carries jobs; the coordinator stores the connector ids, not credentials, in messages. */
export const ChunkMessage = z.object({
  taskId: z.string(),
  runId: z.string(),
  attemptId: z.string(),
  /** A batch (JobBatch): every attempt it carries, `attemptId` first. */
  attemptIds: z.array(z.string()).min(1).optional(),
});
export type ChunkMessage = z.infer<typeof ChunkMessage>;
