import { and, eq, gt } from "drizzle-orm";
import type { Database } from "../db/client";
import { sessions } from "../db/schema";
import { hmacSha256Hex, randomToken } from "../lib/crypto";

export const SESSION_COOKIE = "dtaas_session";
export const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;

/** Creates a session; returns the token for the cookie (only its HMAC digest is stored). */
export async function createSession(db: Database, secret: string, userId: string, tenantId: string): Promise<string> {
  const token = randomToken();
  const now = Date.now();
  await db.insert(sessions).values({
    id: await hmacSha256Hex(secret, token),
    userId,
    tenantId,
    createdAt: now,
    expiresAt: now + SESSION_TTL_MS,
  });
  return token;
}

export async function findSession(db: Database, secret: string, token: string) {
  const id = await hmacSha256Hex(secret, token);
  return db.query.sessions.findFirst({ where: and(eq(sessions.id, id), gt(sessions.expiresAt, Date.now())) });
}

export async function deleteSession(db: Database, secret: string, token: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.id, await hmacSha256Hex(secret, token)));
}
