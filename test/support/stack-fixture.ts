import postgres from "postgres";
import { afterAll, beforeAll } from "vitest";
import { StackClient } from "./api-client";
import { startLocalStack, type LocalStack } from "./local-stack";

export interface TransferSetup {
  api: StackClient;
  source: postgres.Sql;
  target: postgres.Sql;
  sourceId: string;
  targetId: string;
  targetDb: string;
  createTask(body?: Record<string, unknown>): Promise<string>;
}

/**
 * One local stack for a test file (started before its tests, stopped after), and `setup`: a source and a
 * target database on the stack's PostgreSQL with random suffixes, a fresh tenant, and its two connectors.
 */
export function useLocalStack(options: { leaseSeconds?: number } = {}) {
  let stack: LocalStack;
  let admin: postgres.Sql;
  const opened: postgres.Sql[] = [];

  beforeAll(async () => {
    stack = await startLocalStack({ leaseSeconds: options.leaseSeconds ?? 4 });
    admin = postgres(stack.pgUrl, { max: 1, onnotice: () => {} });
  }, 240_000);

  afterAll(async () => {
    await Promise.all(opened.map((s) => s.end({ timeout: 5 })));
    await admin?.end({ timeout: 5 });
    await stack?.stop();
  }, 60_000);

  function urlOf(database: string, password?: string): string {
    const u = new URL(stack.pgUrl);
    u.pathname = `/${database}`;
    if (password) u.password = password;
    return u.toString();
  }

  async function setup(label: string, sourceSql: string | ((sql: postgres.Sql) => Promise<void>)): Promise<TransferSetup> {
    const suffix = Math.random().toString(36).slice(2, 8);
    const [src, dst] = [`${label}_src_${suffix}`, `${label}_dst_${suffix}`];
    await admin.unsafe(`CREATE DATABASE "${src}"`);
    await admin.unsafe(`CREATE DATABASE "${dst}"`);
    const source = postgres(urlOf(src), { max: 4, onnotice: () => {} });
    const target = postgres(urlOf(dst), { max: 2, onnotice: () => {} });
    opened.push(source, target);
    if (typeof sourceSql === "string") await source.unsafe(sourceSql);
    else await sourceSql(source);
    await source.unsafe("ANALYZE");
    const api = new StackClient(stack.origin);
    await api.signUp();
    const sourceId = await api.createConnector("source", urlOf(src));
    const targetId = await api.createConnector("target", urlOf(dst));
    const createTask = async (body: Record<string, unknown> = {}) =>
      (await api.expectOk("POST", "/tasks", { name: `task-${Math.random().toString(36).slice(2, 8)}`, sourceId, targetId, ...body })).id as string;
    return { api, source, target, sourceId, targetId, createTask, targetDb: dst };
  }

  return { stack: () => stack, urlOf, setup };
}
