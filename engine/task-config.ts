import { z } from "zod";
import { TablePattern } from "./catalog/select";

/** The options of a task, each with its default and meaning. Persisted in D1 as JSON: do not rename fields. */
export const TaskOptions = z
  .object({
    parallelTables: z.number().int().min(1).max(16).default(2).describe("Tables copied at the same time."),
    // 4M: a table up to 4M rows is one chunk. Chunks of one table copying side by side contend for the
    // same heap and the same cores: on 2 cores a 2M-row table took 3.6 s as one chunk, 4.3 s as two in
    // flight. A retry re-copies at most a few seconds of work; memory is flat whatever the size.
    chunkRows: z.number().int().min(1000).max(10_000_000).default(4_000_000).describe("Target rows per chunk (primary-key range)."),
    maxRetries: z.number().int().min(0).max(20).default(3).describe("Retries of a chunk after a retryable failure."),
    retryDelaySeconds: z.number().int().min(0).max(3600).default(5).describe("Delay before the first retry; doubles each time."),
    targetTableMode: z
      .enum(["drop_and_create", "truncate", "append"])
      .default("drop_and_create")
      .describe("How target tables are prepared: recreated, emptied, or appended to."),
    validate: z.boolean().default(true).describe("Checksum every chunk on both sides after copying."),
    targetSchema: z
      .string()
      .min(1)
      .max(63)
      .optional()
      .describe("Target schema name template; `${schema}` is the source schema, `${name}` any variable. Default: the source schema."),
    targetTable: z
      .string()
      .min(1)
      .max(63)
      .optional()
      .describe("Target table name template; `${table}` is the source table name. Default: the source table name."),
    cdcLagThresholdSeconds: z.number().int().min(1).max(86_400).optional().describe("Raise cdc.lag_exceeded above this lag."),
  })
  .strict();
export type TaskOptions = z.infer<typeof TaskOptions>;

export const FilterOp = z.enum(["=", "!=", "<", "<=", ">", ">=", "in", "not_in", "is_null", "is_not_null", "like"]);
export type FilterOp = z.infer<typeof FilterOp>;

const FilterValue = z.union([z.string(), z.number(), z.boolean()]);

/** One structured row-filter condition; `value` strings may use `${variable}`. Never raw SQL. */
export const RowFilter = z
  .object({
    column: z.string().min(1).max(63),
    op: FilterOp,
    value: z.union([FilterValue, z.array(FilterValue).max(1000)]).optional(),
  })
  .strict()
  .superRefine((f, ctx) => {
    const needsList = f.op === "in" || f.op === "not_in";
    const needsNone = f.op === "is_null" || f.op === "is_not_null";
    if (needsNone && f.value !== undefined) ctx.addIssue({ code: "custom", message: `op ${f.op} takes no value` });
    if (needsList && !Array.isArray(f.value)) ctx.addIssue({ code: "custom", message: `op ${f.op} takes a list of values` });
    if (!needsList && !needsNone && (f.value === undefined || Array.isArray(f.value)))
      ctx.addIssue({ code: "custom", message: `op ${f.op} takes one value` });
  });
export type RowFilter = z.infer<typeof RowFilter>;

export const TableSelection = z
  .object({
    include: z.array(TablePattern).min(1).max(500).default(["public.*"]),
    exclude: z.array(TablePattern).max(500).default([]),
    /** Row filters per `schema.table` (exact name). */
    filters: z.record(z.string().regex(/^[^.]+\.[^.]+$/), z.array(RowFilter).max(50)).default({}),
  })
  .strict();
export type TableSelection = z.infer<typeof TableSelection>;

export const TaskMode = z.enum(["full_load", "cdc", "full_load_and_cdc"]);
export type TaskMode = z.infer<typeof TaskMode>;

export const Variables = z
  .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "variable names are identifiers"), z.string().max(1000))
  .refine((v) => Object.keys(v).length <= 100, "at most 100 variables");
export type Variables = z.infer<typeof Variables>;
