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
/**
 * SQL selecting the leaf tables (`c`: pg_class; a plain table is its own leaf) of the table whose oid and
 * relkind are the SQL expressions `oid` and `relkind` that have no usable replica identity.
 */
export function leavesWithoutIdentitySql(oid: string, relkind: string): string {
  return `SELECT c.oid, c.relnamespace, c.relname
      -- pg_partition_tree has no rows for a table outside any partition tree.
      FROM (SELECT tree.relid FROM pg_partition_tree(${oid}) tree WHERE tree.isleaf AND ${relkind} = 'p'
            UNION ALL SELECT ${oid} WHERE ${relkind} = 'r') p
      JOIN pg_class c ON c.oid = p.relid
     WHERE c.relkind = 'r'
       AND NOT (c.relreplident = 'f'
                OR (c.relreplident = 'd' AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary))
                OR (c.relreplident = 'i' AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident)))`;
}

export async function tablesWithoutReplicaIdentity(db: Queryable, tables: readonly TableRef[]): Promise<string[]> {
  if (tables.length === 0) return [];
  const rows = await db.query<{ name: string }>(
    `SELECT format('%I.%I', n.nspname, leaf.relname) AS name
       FROM unnest($1::text[], $2::text[]) AS u(s, t)
       JOIN pg_namespace un ON un.nspname = u.s
       JOIN pg_class uc ON uc.relnamespace = un.oid AND uc.relname = u.t
       CROSS JOIN LATERAL (${leavesWithoutIdentitySql("uc.oid", "uc.relkind")}) leaf
       JOIN pg_namespace n ON n.oid = leaf.relnamespace
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
