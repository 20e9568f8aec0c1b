import type { TableRef } from "../catalog/types";
import type { Queryable } from "../db/queryable";
import { AppError } from "../errors/app-error";

/**
 * Leaf tables (a plain table is its own leaf) of `tables` that have no usable replica identity: REPLICA
 * IDENTITY NOTHING, DEFAULT without a primary key, or USING INDEX whose index is gone. Once such a table
 * is in a publication that publishes updates and deletes, the source refuses every UPDATE and DELETE on
 * it ("cannot update table … because it does not have a replica identity and publishes updates"): the
 * check is made on each leaf partition, so a partitioned table is looked at leaf by leaf.
 */
export async function tablesWithoutReplicaIdentity(db: Queryable, tables: readonly TableRef[]): Promise<string[]> {
  if (tables.length === 0) return [];
  const rows = await db.query<{ name: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name
       FROM unnest($1::text[], $2::text[]) AS u(s, t)
       JOIN pg_namespace un ON un.nspname = u.s
       JOIN pg_class uc ON uc.relnamespace = un.oid AND uc.relname = u.t
       -- pg_partition_tree has no rows for a table outside any partition tree.
       CROSS JOIN LATERAL (SELECT tree.relid FROM pg_partition_tree(uc.oid) tree WHERE tree.isleaf AND uc.relkind = 'p'
                           UNION ALL SELECT uc.oid WHERE uc.relkind = 'r') p
       JOIN pg_class c ON c.oid = p.relid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r'
        AND NOT (c.relreplident = 'f'
                 OR (c.relreplident = 'd' AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary))
                 OR (c.relreplident = 'i' AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident)))
      ORDER BY 1`,
    [tables.map((t) => t.schema), tables.map((t) => t.name)],
  );
  return rows.map((r) => r.name);
}

const LISTED = 5;

/**
 * Refuses change capture of tables without a replica identity, before anything is created on the source:
 * publishing them would make the source refuse the application's own UPDATEs and DELETEs on them.
 */
export async function assertReplicaIdentity(db: Queryable, tables: readonly TableRef[]): Promise<void> {
  const missing = await tablesWithoutReplicaIdentity(db, tables);
  if (missing.length === 0) return;
  const shown = missing.slice(0, LISTED).join(", ") + (missing.length > LISTED ? ` and ${missing.length - LISTED} more` : "");
  throw new AppError(
    "REPLICA_IDENTITY_MISSING",
    `Change capture needs a replica identity on every table it publishes, and ${shown} ${missing.length === 1 ? "has" : "have"} none: ` +
      "the source would refuse UPDATE and DELETE on them once published. Give each a primary key, or run " +
      "ALTER TABLE … REPLICA IDENTITY FULL on it, or exclude it from the task.",
    { status: 400, details: { tables: missing } },
  );
}
