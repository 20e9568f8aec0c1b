import { and, eq } from "drizzle-orm";
import type { Queryable } from "../../../engine/db/queryable";
import { openConnection } from "../../../engine/db/connect";
import { isAppError } from "../../../engine/errors/app-error";
import { classifyError } from "../../../engine/errors/classify";
import type { Database } from "../db/client";
import { connectors } from "../db/schema";
import { decryptSecret } from "../lib/crypto";
import { notFound } from "../lib/errors";

export type ConnectorRow = typeof connectors.$inferSelect;

/** Additional data bound into the ciphertext: a connector's secret decrypts only on its own row. */
export const connectorSecretContext = (id: string) => `connector:${id}`;

export async function getConnector(db: Database, tenantId: string, id: string): Promise<ConnectorRow> {
  const row = await db.query.connectors.findFirst({ where: and(eq(connectors.id, id), eq(connectors.tenantId, tenantId)) });
  if (!row) throw notFound("Connector");
  return row;
}

export function connectorUrl(env: Env, row: ConnectorRow): Promise<string> {
  return decryptSecret(env.ENCRYPTION_KEY, row.urlCiphertext, connectorSecretContext(row.id));
}

/** Opens a short-lived connection for a control-plane request (the decrypted URL stays in memory). */
export async function openConnector(env: Env, row: ConnectorRow): Promise<Queryable> {
  return openConnection(
    { kind: row.kind, url: await connectorUrl(env, row) },
    { neonWsProxy: env.NEON_WS_PROXY || undefined, connectTimeoutSeconds: 10 },
  );
}

/** Runs `fn` with an open connection, always closes it, and turns driver errors into AppErrors. */
export async function withConnector<T>(env: Env, row: ConnectorRow, fn: (db: Queryable) => Promise<T>): Promise<T> {
  try {
    const db = await openConnector(env, row);
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  } catch (e) {
    throw isAppError(e) ? e : classifyError(e);
  }
}
