import { listTables } from "../../../engine/catalog/discover";
import type { TableInfo } from "../../../engine/catalog/types";
import { openPostgres } from "../../../engine/db/postgres-js";

/** The source's tables, through a short-lived catalog connection (once per run). */
export async function discoverTables(url: string): Promise<TableInfo[]> {
  const db = openPostgres(url, { connectTimeoutSeconds: 15 });
  try {
    return await listTables(db);
  } finally {
    await db.close();
  }
}
