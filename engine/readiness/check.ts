import type { Queryable } from "../db/queryable";

/** One CDC prerequisite: `fix` tells a person exactly what to do when `ok` is false (null otherwise). */
export interface ReadinessCheck {
  name: "wal_level" | "replication_privilege" | "replication_slots" | "wal_senders";
  ok: boolean;
  detail: string;
  fix: string | null;
}

export interface ConnectionReport {
  serverVersion: string;
  serverVersionNum: number;
  latencyMs: number;
  database: string;
  user: string;
  cdc: { ready: boolean; checks: ReadinessCheck[] };
}

/**
 * Provider roles whose members may use logical replication without the REPLICATION attribute (Amazon RDS
 * and Aurora, Azure, Neon). Checked with pg_has_role only when the role exists on the server.
 */
const REPLICATION_ROLES = ["rds_replication", "rds_superuser", "azure_pg_admin", "neon_superuser"];

/** What the server says about itself and the current role (one catalog query). */
export interface Facts {
  version: string;
  version_num: number;
  database: string;
  user: string;
  wal_level: string;
  max_slots: number;
  used_slots: number;
  max_senders: number;
  superuser: boolean;
  replication: boolean;
  via_roles: string[] | null;
}

const FACTS_SQL = `
  SELECT current_setting('server_version') AS version, current_setting('server_version_num')::int AS version_num,
         current_database()::text AS database, current_user::text AS "user",
         current_setting('wal_level') AS wal_level,
         current_setting('max_replication_slots')::int AS max_slots,
         (SELECT count(*)::int FROM pg_replication_slots) AS used_slots,
         current_setting('max_wal_senders')::int AS max_senders,
         r.rolsuper AS superuser, r.rolreplication AS replication,
         (SELECT array_agg(g.rolname::text ORDER BY g.rolname) FROM pg_roles g
           WHERE g.rolname = ANY ($1::text[]) AND pg_has_role(current_user, g.oid, 'MEMBER')) AS via_roles
    FROM pg_roles r WHERE r.rolname = current_user`;

/** Connects (through `db`), measures a round trip and reports what logical replication (CDC) still needs. */
export async function checkConnection(db: Queryable): Promise<ConnectionReport> {
  const t0 = Date.now();
  await db.query("SELECT 1");
  const latencyMs = Date.now() - t0;
  const [facts] = await db.query<Facts>(FACTS_SQL, [REPLICATION_ROLES]);
  if (!facts) throw new Error("current_user has no pg_roles row");
  const checks = cdcChecks(facts);
  return {
    serverVersion: facts.version,
    serverVersionNum: facts.version_num,
    latencyMs,
    database: facts.database,
    user: facts.user,
    cdc: { ready: checks.every((c) => c.ok), checks },
  };
}

/** The CDC prerequisites from the facts; pure. */
export function cdcChecks(f: Facts): ReadinessCheck[] {
  const user = quoteIdent(f.user);
  const roles = f.via_roles ?? [];
  const mayReplicate = f.superuser || f.replication || roles.length > 0;
  const freeSlots = f.max_slots - f.used_slots;
  return [
    {
      name: "wal_level",
      ok: f.wal_level === "logical",
      detail: `wal_level is ${f.wal_level}; logical decoding needs logical.`,
      fix:
        f.wal_level === "logical"
          ? null
          : "As a superuser run ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL. On a managed service " +
            "enable logical replication in its settings instead (Amazon RDS: rds.logical_replication = 1 in the " +
            "parameter group; Azure: wal_level = logical in server parameters; Neon: enable logical replication in the project settings).",
    },
    {
      name: "replication_privilege",
      ok: mayReplicate,
      detail: f.superuser
        ? `${f.user} is a superuser.`
        : f.replication
          ? `${f.user} has the REPLICATION attribute.`
          : roles.length > 0
            ? `${f.user} is a member of ${roles.join(", ")}.`
            : `${f.user} is neither a superuser nor has the REPLICATION attribute.`,
      fix: mayReplicate
        ? null
        : `As a superuser run ALTER ROLE ${user} WITH REPLICATION; (on Amazon RDS: GRANT rds_replication TO ${user};).`,
    },
    {
      name: "replication_slots",
      ok: freeSlots >= 1,
      detail: `${f.used_slots} of max_replication_slots = ${f.max_slots} in use; ${Math.max(freeSlots, 0)} free (a CDC task needs one).`,
      fix:
        freeSlots >= 1
          ? null
          : "Drop unused slots (SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE NOT active; " +
            "check first that nothing needs them) or raise the limit: ALTER SYSTEM SET max_replication_slots = " +
            `${Math.max(f.max_slots * 2, 10)}; then restart PostgreSQL.`,
    },
    {
      name: "wal_senders",
      ok: f.max_senders > 0,
      detail: `max_wal_senders = ${f.max_senders}.`,
      fix: f.max_senders > 0 ? null : "As a superuser run ALTER SYSTEM SET max_wal_senders = 10; then restart PostgreSQL.",
    },
  ];
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
