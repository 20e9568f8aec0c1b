import { and, eq, isNull } from "drizzle-orm";
import type { Database } from "../db/client";
import { apiKeys } from "../db/schema";
import { randomToken, sha256Hex } from "../lib/crypto";

export const API_KEY_PREFIX = "dtaas_";

export function generateApiKey(): string {
  return API_KEY_PREFIX + randomToken(32);
}

/** The active (not revoked) key with this secret, if any. */
export async function findActiveApiKey(db: Database, key: string) {
  if (!key.startsWith(API_KEY_PREFIX)) return undefined;
  return db.query.apiKeys.findFirst({
    where: and(eq(apiKeys.keyHash, await sha256Hex(key)), isNull(apiKeys.revokedAt)),
  });
}
