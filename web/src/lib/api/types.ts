/**
 * Response and request shapes of /api/v1 (DESIGN.md §7). Shapes the engine already defines are imported
 * as types only, so nothing of theirs reaches the bundle; the rest mirror the zod views in
 * worker/src/routes and worker/src/tasks/views.ts.
 */
import type { ColumnInfo, TableInfo } from "../../../../engine/catalog/types";
import type { QueryResult } from "../../../../engine/browse/run-query";
import type { ConnectionReport, ReadinessCheck } from "../../../../engine/readiness/check";
import type { TableSelection, TaskMode, TaskOptions } from "../../../../engine/task-config";
import type { CdcProgress, RunProgress, TableProgress } from "../../../../durable-objects/task-coordinator/progress-message";
// Type-only: events.ts has a runtime list too, but the app keeps worker code out of its bundle.
import type { DeliveryStatus, WebhookEvent } from "../../../../worker/src/webhooks/events";

export type { CdcProgress, DeliveryStatus, RunProgress, TableProgress, WebhookEvent };
export type { ColumnInfo, ConnectionReport, QueryResult, ReadinessCheck, TableInfo, TableSelection, TaskMode, TaskOptions };

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface ErrorInfo {
  code: string;
  message: string;
}

export interface User {
  id: string;
  email: string;
}

export interface Tenant {
  id: string;
  name: string;
}

export interface Session {
  user: User;
  tenant: Tenant;
}

export interface Me {
  user: User | null;
  tenant: Tenant;
  authMethod: "session" | "api_key";
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export interface CreatedApiKey extends ApiKey {
  /** Shown once. */
  key: string;
}

export type ConnectorKind = "postgres" | "neon";
export type SslMode = "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full";

export interface Connector {
  id: string;
  name: string;
  kind: ConnectorKind;
  /** The connection URL with the password masked. */
  url: string;
  host: string;
  port: number;
  database: string;
  user: string;
  createdAt: number;
  updatedAt: number;
}

/** Either `url`, or the discrete fields; `password` left out keeps the stored one when updating. */
export interface ConnectionInput {
  url?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  sslmode?: SslMode;
}

export interface ConnectorCreate extends ConnectionInput {
  name: string;
  kind: ConnectorKind;
}

export interface ConnectorUpdate extends ConnectionInput {
  name?: string;
}

export type ConnectionTest =
  | {
      ok: true;
      serverVersion: string;
      serverVersionNum: number;
      latencyMs: number;
      database: string;
      user: string;
      cdc: { ready: boolean; checks: ReadinessCheck[] };
    }
  | { ok: false; error: ErrorInfo };

export type RunStatus = "queued" | "running" | "succeeded" | "failed" | "stopped";

export interface RunSummary {
  id: string;
  taskId: string;
  status: RunStatus;
  phase: string;
  mode: string;
  rowsCopied: number;
  bytesCopied: number;
  error: ErrorInfo | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

export interface Run extends RunSummary {
  variables: Record<string, string>;
  tables: TableProgress[];
  /** Change capture state of a `cdc` / `full_load_and_cdc` run; null for a plain full load. */
  cdc: CdcProgress | null;
  validation: unknown;
  durationMs: number | null;
}

export interface RunLogLine {
  id: number;
  time: number;
  level: string;
  message: string;
  fields: unknown;
}

export interface Task {
  id: string;
  name: string;
  sourceId: string;
  targetId: string;
  mode: TaskMode;
  tables: TableSelection;
  options: TaskOptions;
  variables: Record<string, string>;
  latestRun: RunSummary | null;
  createdAt: number;
  updatedAt: number;
}

export interface TaskCreate {
  name: string;
  sourceId: string;
  targetId: string;
  mode: TaskMode;
  tables: { include: string[]; exclude: string[] };
  options: Partial<TaskOptions>;
  variables: Record<string, string>;
}

export type TaskUpdate = Partial<TaskCreate>;

/** Mirrors WebhookView in worker/src/routes/webhooks.ts; the secret is never returned after creation. */
export interface Webhook {
  id: string;
  url: string;
  events: WebhookEvent[];
  active: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface CreatedWebhook extends Webhook {
  /** Signing secret (`whsec_…`), shown once. */
  secret: string;
}

export interface WebhookCreate {
  url: string;
  events: WebhookEvent[];
}

export type WebhookUpdate = Partial<WebhookCreate> & { active?: boolean };

/** Mirrors DeliveryView in worker/src/routes/webhooks.ts. */
export interface WebhookDelivery {
  id: string;
  webhookId: string;
  /** A WebhookEvent, typed loosely by the API: rows outlive renames. */
  event: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: number | null;
  /** The JSON body as sent (docs/webhooks.md). */
  payload: unknown;
  createdAt: number;
  updatedAt: number;
}

/** What the task's WebSocket sends: progress of its current (or last) run, or that it never ran. */
export type TaskEvent = RunProgress | { type: "idle" } | { type: "pong" };
