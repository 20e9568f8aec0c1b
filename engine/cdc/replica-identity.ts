import type { TableInfo } from "../catalog/types";
import { AppError } from "../errors/app-error";

/**
 * SQL selecting the leaf tables (a plain table is its own leaf) of the table whose oid and relkind are the
 * SQL expressions `oid` and `relkind` that have no usable replica identity: REPLICA IDENTITY NOTHING,
 * DEFAULT without a primary key, or USING INDEX whose index is gone. Once such a table is in a publication
 * that publishes updates and deletes, the source refuses every UPDATE and DELETE on it ("cannot update
 * table … because it does not have a replica identity and publishes updates"); the check is made on each
 * leaf partition, so a partitioned table is looked at leaf by leaf.
 */
export function leavesWithoutIdentitySql(oid: string, relkind: string): string {
  return `SELECT c.oid
      -- pg_partition_tree has no rows for a table outside any partition tree.
      FROM (SELECT tree.relid FROM pg_partition_tree(${oid}) tree WHERE tree.isleaf AND ${relkind} = 'p'
            UNION ALL SELECT ${oid} WHERE ${relkind} = 'r') p
      JOIN pg_class c ON c.oid = p.relid
     WHERE c.relkind = 'r'
       AND NOT (c.relreplident = 'f'
                OR (c.relreplident = 'd' AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary))
                OR (c.relreplident = 'i' AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident)))`;
}

const LISTED = 5;

/**
 * Refuses change capture of tables without a usable replica identity (TableInfo.replicaIdentity, read by
 * catalog discovery with leavesWithoutIdentitySql), before anything is created on the source: once
 * published, the source would refuse the application's own UPDATEs and DELETEs on them (SQLSTATE 55000).
 */
export function assertReplicaIdentity(tables: readonly TableInfo[]): void {
  const missing = tables.filter((t) => t.replicaIdentity === false).map((t) => `${t.schema}.${t.name}`);
  if (missing.length === 0) return;
  const shown = missing.slice(0, LISTED).join(", ") + (missing.length > LISTED ? ` and ${missing.length - LISTED} more` : "");
  throw new AppError(
    "REPLICA_IDENTITY_MISSING",
    `Change capture needs a replica identity on every table it publishes (on every partition of a partitioned one), and ${shown} ${missing.length === 1 ? "has" : "have"} none: ` +
      "the source would refuse UPDATE and DELETE on them once published. Give each a primary key, or run " +
      "ALTER TABLE … REPLICA IDENTITY FULL on it, or exclude it from the task.",
    { status: 400, details: { tables: missing } },
  );
}
