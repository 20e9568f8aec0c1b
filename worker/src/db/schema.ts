import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

// Times are integer epoch milliseconds set in code. Ids are prefixed random strings (lib/ids.ts).
// Every table below a tenant carries tenant_id, and every query filters on it.

export const tenants = sqliteTable("tenants", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: integer("created_at").notNull(),
});

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull().references(() => tenants.id, { onDelete: "cascade" }),
    email: text("email").notNull(),
    passwordHash: text("password_hash").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("users_email_unique").on(t.email), index("users_tenant_idx").on(t.tenantId)],
);

export const sessions = sqliteTable(
  "sessions",
  {
    /** HMAC-SHA256(SESSION_SECRET, token): the token itself is only in the cookie. */
    id: text("id").primaryKey(),
    userId: text("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    tenantId: text("tenant_id").notNull().references(() => tenants.id, { onDelete: "cascade" }),
    expiresAt: integer("expires_at").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("sessions_user_idx").on(t.userId)],
);

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull().references(() => tenants.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** SHA-256 hex of the whole key; the key is shown once and never stored. */
    keyHash: text("key_hash").notNull(),
    /** The first characters of the key, to recognise it in a list. */
    prefix: text("prefix").notNull(),
    createdAt: integer("created_at").notNull(),
    lastUsedAt: integer("last_used_at"),
    revokedAt: integer("revoked_at"),
  },
  (t) => [uniqueIndex("api_keys_hash_unique").on(t.keyHash), index("api_keys_tenant_idx").on(t.tenantId, t.createdAt)],
);

export const connectors = sqliteTable(
  "connectors",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull().references(() => tenants.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    kind: text("kind", { enum: ["postgres", "neon"] }).notNull(),
    host: text("host").notNull(),
    port: integer("port").notNull(),
    database: text("database").notNull(),
    username: text("username").notNull(),
    /** The URL with its password removed, safe to show. */
    displayUrl: text("display_url").notNull(),
    /** AES-GCM ciphertext of the full connection URL (lib/crypto.ts), bound to the connector id. */
    urlCiphertext: text("url_ciphertext").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("connectors_tenant_name_unique").on(t.tenantId, t.name), index("connectors_tenant_idx").on(t.tenantId, t.createdAt)],
);

export const tasks = sqliteTable(
  "tasks",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull().references(() => tenants.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    sourceId: text("source_id").notNull().references(() => connectors.id),
    targetId: text("target_id").notNull().references(() => connectors.id),
    mode: text("mode", { enum: ["full_load", "cdc", "full_load_and_cdc"] }).notNull(),
    /** JSON of TableSelection (engine/task-config.ts). */
    tables: text("tables", { mode: "json" }).notNull(),
    /** JSON of TaskOptions with defaults applied. */
    options: text("options", { mode: "json" }).notNull(),
    variables: text("variables", { mode: "json" }).notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("tasks_tenant_name_unique").on(t.tenantId, t.name), index("tasks_tenant_idx").on(t.tenantId, t.createdAt)],
);

export const runs = sqliteTable(
  "runs",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull().references(() => tenants.id, { onDelete: "cascade" }),
    taskId: text("task_id").notNull().references(() => tasks.id, { onDelete: "cascade" }),
    status: text("status", { enum: ["queued", "running", "succeeded", "failed", "stopped"] }).notNull(),
    phase: text("phase").notNull(),
    mode: text("mode").notNull(),
    /** The variables in force for this run (task variables merged with start overrides). */
    variables: text("variables", { mode: "json" }).notNull(),
    rowsCopied: integer("rows_copied").notNull().default(0),
    bytesCopied: integer("bytes_copied").notNull().default(0),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
    /** CDC progress (received/applied LSN, lag) as JSON, written by the coordinator. */
    cdc: text("cdc", { mode: "json" }),
    validation: text("validation", { mode: "json" }),
    createdAt: integer("created_at").notNull(),
    startedAt: integer("started_at"),
    finishedAt: integer("finished_at"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("runs_task_idx").on(t.tenantId, t.taskId, t.createdAt), index("runs_tenant_status_idx").on(t.tenantId, t.status)],
);

export const runTables = sqliteTable(
  "run_tables",
  {
    runId: text("run_id").notNull().references(() => runs.id, { onDelete: "cascade" }),
    tenantId: text("tenant_id").notNull(),
    sourceSchema: text("source_schema").notNull(),
    sourceTable: text("source_table").notNull(),
    targetSchema: text("target_schema").notNull(),
    targetTable: text("target_table").notNull(),
    status: text("status").notNull(),
    rowsCopied: integer("rows_copied").notNull().default(0),
    bytesCopied: integer("bytes_copied").notNull().default(0),
    estimatedRows: integer("estimated_rows").notNull().default(0),
    chunksTotal: integer("chunks_total").notNull().default(0),
    chunksDone: integer("chunks_done").notNull().default(0),
    /** pending | passed | failed | skipped */
    validation: text("validation").notNull().default("pending"),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.sourceSchema, t.sourceTable] })],
);

export const runLogs = sqliteTable(
  "run_logs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    runId: text("run_id").notNull().references(() => runs.id, { onDelete: "cascade" }),
    tenantId: text("tenant_id").notNull(),
    time: integer("time").notNull(),
    level: text("level").notNull(),
    message: text("message").notNull(),
    fields: text("fields", { mode: "json" }),
  },
  (t) => [index("run_logs_run_idx").on(t.runId, t.id)],
);

export const webhooks = sqliteTable(
  "webhooks",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull().references(() => tenants.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    events: text("events", { mode: "json" }).notNull(),
    /** AES-GCM ciphertext of the signing secret (HMAC needs the secret itself, so it cannot be hashed). */
    secretCiphertext: text("secret_ciphertext").notNull(),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("webhooks_tenant_idx").on(t.tenantId, t.createdAt)],
);

export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    webhookId: text("webhook_id").notNull().references(() => webhooks.id, { onDelete: "cascade" }),
    tenantId: text("tenant_id").notNull(),
    event: text("event").notNull(),
    payload: text("payload").notNull(),
    /** pending | succeeded | failed */
    status: text("status").notNull(),
    attempts: integer("attempts").notNull().default(0),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    nextAttemptAt: integer("next_attempt_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("webhook_deliveries_webhook_idx").on(t.tenantId, t.webhookId, t.createdAt)],
);

/** API requests aggregated per tenant per minute (middleware/request-metrics); one upsert per request. */
export const apiRequestStats = sqliteTable(
  "api_request_stats",
  {
    tenantId: text("tenant_id").notNull().references(() => tenants.id, { onDelete: "cascade" }),
    /** Epoch ms of the start of the minute. */
    minute: integer("minute").notNull(),
    requests: integer("requests").notNull().default(0),
    clientErrors: integer("client_errors").notNull().default(0),
    serverErrors: integer("server_errors").notNull().default(0),
    durationMsSum: integer("duration_ms_sum").notNull().default(0),
    /** Latency histogram, non-cumulative: requests that took at most N ms (and more than the bucket before). */
    le5: integer("le_5").notNull().default(0),
    le10: integer("le_10").notNull().default(0),
    le25: integer("le_25").notNull().default(0),
    le50: integer("le_50").notNull().default(0),
    le100: integer("le_100").notNull().default(0),
    le250: integer("le_250").notNull().default(0),
    le500: integer("le_500").notNull().default(0),
    le1000: integer("le_1000").notNull().default(0),
    le2500: integer("le_2500").notNull().default(0),
    le5000: integer("le_5000").notNull().default(0),
    le10000: integer("le_10000").notNull().default(0),
    leInf: integer("le_inf").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.minute] })],
);

/** Fixed-window request counters (middleware/rate-limit), keyed by rule and client. */
export const rateLimits = sqliteTable(
  "rate_limits",
  {
    key: text("key").primaryKey(),
    windowStart: integer("window_start").notNull(),
    count: integer("count").notNull(),
  },
  (t) => [index("rate_limits_window_idx").on(t.windowStart)],
);
