/** The one typed client of /api/v1: every network call of the app goes through these functions. */
import { request } from "./client";
import type {
  ApiKey,
  ConnectionTest,
  Connector,
  ConnectorCreate,
  ConnectorUpdate,
  CreatedApiKey,
  CreatedWebhook,
  Me,
  Page,
  QueryResult,
  Run,
  RunLogLine,
  RunSummary,
  Session,
  TableInfo,
  Task,
  TaskCreate,
  TaskUpdate,
  Webhook,
  WebhookCreate,
  WebhookDelivery,
  WebhookUpdate,
} from "./types";

export { ApiError, isApiError } from "./client";
export type * from "./types";

interface PageQuery {
  limit?: number;
  cursor?: string | null;
}

const id = (value: string) => encodeURIComponent(value);

export const auth = {
  signup: (body: { email: string; password: string; tenantName: string }) => request<Session>("POST", "/auth/signup", { body }),
  login: (body: { email: string; password: string }) => request<Session>("POST", "/auth/login", { body }),
  logout: () => request<null>("POST", "/auth/logout"),
  me: () => request<Me>("GET", "/me"),
};

export const apiKeys = {
  list: (page: PageQuery = {}) => request<Page<ApiKey>>("GET", "/api-keys", { query: { ...page } }),
  create: (name: string) => request<CreatedApiKey>("POST", "/api-keys", { body: { name } }),
  revoke: (keyId: string) => request<null>("DELETE", `/api-keys/${id(keyId)}`),
};

export const connectors = {
  list: (page: PageQuery = {}) => request<Page<Connector>>("GET", "/connectors", { query: { ...page } }),
  get: (connectorId: string) => request<Connector>("GET", `/connectors/${id(connectorId)}`),
  create: (body: ConnectorCreate) => request<Connector>("POST", "/connectors", { body }),
  update: (connectorId: string, body: ConnectorUpdate) => request<Connector>("PATCH", `/connectors/${id(connectorId)}`, { body }),
  remove: (connectorId: string) => request<null>("DELETE", `/connectors/${id(connectorId)}`),
  test: (connectorId: string) => request<ConnectionTest>("POST", `/connectors/${id(connectorId)}/test`),
  tables: (connectorId: string) => request<{ items: TableInfo[] }>("GET", `/connectors/${id(connectorId)}/tables`),
  query: (connectorId: string, sql: string, limit?: number, signal?: AbortSignal) =>
    request<QueryResult>("POST", `/connectors/${id(connectorId)}/query`, { body: { sql, limit }, signal }),
};

export const tasks = {
  list: (page: PageQuery = {}) => request<Page<Task>>("GET", "/tasks", { query: { ...page } }),
  get: (taskId: string) => request<Task>("GET", `/tasks/${id(taskId)}`),
  create: (body: TaskCreate) => request<Task>("POST", "/tasks", { body }),
  update: (taskId: string, body: TaskUpdate) => request<Task>("PATCH", `/tasks/${id(taskId)}`, { body }),
  remove: (taskId: string) => request<null>("DELETE", `/tasks/${id(taskId)}`),
  start: (taskId: string, variables?: Record<string, string>) =>
    request<{ runId: string }>("POST", `/tasks/${id(taskId)}/start`, { body: variables ? { variables } : {} }),
  stop: (taskId: string) => request<{ status: string }>("POST", `/tasks/${id(taskId)}/stop`),
  runs: (taskId: string, page: PageQuery = {}) => request<Page<RunSummary>>("GET", `/tasks/${id(taskId)}/runs`, { query: { ...page } }),
};

export const runs = {
  get: (runId: string) => request<Run>("GET", `/runs/${id(runId)}`),
  logs: (runId: string, page: PageQuery = {}) => request<Page<RunLogLine>>("GET", `/runs/${id(runId)}/logs`, { query: { ...page } }),
};

export const webhooks = {
  list: (page: PageQuery = {}) => request<Page<Webhook>>("GET", "/webhooks", { query: { ...page } }),
  get: (webhookId: string) => request<Webhook>("GET", `/webhooks/${id(webhookId)}`),
  create: (body: WebhookCreate) => request<CreatedWebhook>("POST", "/webhooks", { body }),
  update: (webhookId: string, body: WebhookUpdate) => request<Webhook>("PATCH", `/webhooks/${id(webhookId)}`, { body }),
  remove: (webhookId: string) => request<null>("DELETE", `/webhooks/${id(webhookId)}`),
  deliveries: (webhookId: string, page: PageQuery = {}) =>
    request<Page<WebhookDelivery>>("GET", `/webhooks/${id(webhookId)}/deliveries`, { query: { ...page } }),
  redeliver: (webhookId: string, deliveryId: string) =>
    request<WebhookDelivery>("POST", `/webhooks/${id(webhookId)}/deliveries/${id(deliveryId)}/redeliver`),
};

/** Lists every page of a paged endpoint (for pickers that need all connectors). */
export async function listAll<T>(list: (page: PageQuery) => Promise<Page<T>>, max = 1000): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<T> = await list({ limit: 200, cursor });
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && out.length < max);
  return out;
}
