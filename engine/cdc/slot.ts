import type { TableRef } from "../catalog/types";
import type { Queryable } from "../db/queryable";
import { qualify, quoteIdent } from "../ddl/quote";
import { AppError } from "../errors/app-error";
import { classifyError, serverError } from "../errors/classify";

/**
 * The publication and logical replication slot a CDC task owns (DESIGN.md §4): both named `dtaas_<task>`.
 * Everything here is idempotent, so the coordinator may repeat any step after a crash. The functions take
 * a Queryable connected to the SOURCE database (the publication lives in that database, and a logical
 * slot is bound to it).
 */

export interface CdcNames {
  slot: string;
  publication: string;
}

const MAX_NAME = 63;

/**
 * `dtaas_<task id>` as a valid slot and publication name: lower-case letters, digits and `_` only (a slot
 * name allows nothing else), at most 63 bytes. A name that had to be shortened ends with a hash of the
 * whole id, so two long ids sharing a prefix still get distinct names. Persisted implicitly (the names
 * are recomputed from the task id): do not change this function's output for existing ids.
 */
export function cdcNames(taskId: string): CdcNames {
  let name = `dtaas_${taskId.toLowerCase().replace(/[^a-z0-9_]/g, "_")}`;
  if (name.length > MAX_NAME) name = `${name.slice(0, MAX_NAME - 9)}_${fnv1a(taskId)}`;
  return { slot: name, publication: name };
}

function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
}

/**
 * Creates the publication for exactly `tables`, or changes an existing one's table list to exactly
 * `tables`. `publish_via_partition_root`: changes of partitions arrive under their partitioned parent,
 * which is the table the full load copies.
 */
export async function ensurePublication(db: Queryable, name: string, tables: readonly TableRef[]): Promise<void> {
  const list = tables.map(qualify).join(", ");
  try {
    const [existing] = await db.query<{ tables: string[] }>(
      `SELECT COALESCE((SELECT array_agg(format('%I.%I', schemaname, tablename) ORDER BY 1)
                          FROM pg_publication_tables t WHERE t.pubname = p.pubname), '{}') AS tables
         FROM pg_publication p WHERE p.pubname = $1`,
      [name],
    );
    if (!existing) {
      await db.query(`CREATE PUBLICATION ${quoteIdent(name)}${list ? ` FOR TABLE ${list}` : ""} WITH (publish_via_partition_root = true)`);
      return;
    }
    const want = await db.query<{ name: string }>(
      `SELECT format('%I.%I', s, t) AS name FROM unnest($1::text[], $2::text[]) AS u(s, t) ORDER BY 1`,
      [tables.map((t) => t.schema), tables.map((t) => t.name)],
    );
    if (JSON.stringify(want.map((w) => w.name)) === JSON.stringify(existing.tables)) return;
    if (list) await db.query(`ALTER PUBLICATION ${quoteIdent(name)} SET TABLE ${list}`);
    else await db.query(`ALTER PUBLICATION ${quoteIdent(name)} DROP TABLE ${existing.tables.join(", ")}`);
  } catch (err) {
    throw slotError(err, "the publication");
  }
}

export interface CreatedSlot {
  slotName: string;
  /**
   * The slot's consistent point: every transaction committing after it will be decoded. For a new slot
   * the LSN pg_create_logical_replication_slot returns; for an existing one its confirmed_flush_lsn.
   */
  consistentPoint: string;
  /** False when the slot existed already. */
  created: boolean;
  /**
   * An exported snapshot id. Never set by the SQL function (only the replication protocol's
   * CREATE_REPLICATION_SLOT … EXPORT_SNAPSHOT exports one); full_load_and_cdc converges without it.
   */
  snapshot?: string;
}

/**
 * Creates the pgoutput slot, or returns the existing one. Hazard: creating a logical slot waits until
 * every transaction running at that moment has finished (to find a consistent point), so one long open
 * transaction on the source makes this call wait as long.
 */
export async function createSlot(db: Queryable, name: string): Promise<CreatedSlot> {
  try {
    await checkWalLevel(db);
    const existing = await findSlot(db, name);
    if (existing) return existing;
    try {
      const [row] = await db.query<{ lsn: string }>(`SELECT lsn::text AS lsn FROM pg_create_logical_replication_slot($1, 'pgoutput')`, [name]);
      return { slotName: name, consistentPoint: row!.lsn, created: true };
    } catch (err) {
      // 42710 duplicate_object: created concurrently by another attempt; the slot is there, use it.
      if (serverError(err)?.sqlstate !== "42710") throw err;
      const again = await findSlot(db, name);
      if (again) return again;
      throw err;
    }
  } catch (err) {
    throw slotError(err, "the replication slot");
  }
}

async function checkWalLevel(db: Queryable): Promise<void> {
  const [row] = await db.query<{ wal_level: string }>(`SELECT current_setting('wal_level') AS wal_level`);
  if (row?.wal_level !== "logical") {
    throw new AppError("WAL_LEVEL_NOT_LOGICAL", `The source has wal_level = ${row?.wal_level}; CDC needs wal_level = logical.`, { status: 400 });
  }
}

async function findSlot(db: Queryable, name: string): Promise<CreatedSlot | null> {
  const [row] = await db.query<{ plugin: string | null; database: string | null; same_db: boolean; lsn: string | null }>(
    `SELECT plugin::text, database::text, database = current_database() AS same_db, confirmed_flush_lsn::text AS lsn
       FROM pg_replication_slots WHERE slot_name = $1`,
    [name],
  );
  if (!row) return null;
  if (row.plugin !== "pgoutput" || !row.same_db || !row.lsn) {
    throw new AppError("SLOT_CONFLICT", `A replication slot named ${name} exists but is not a pgoutput slot of this database.`, {
      status: 409,
      details: { slot: name, plugin: row.plugin, database: row.database },
    });
  }
  return { slotName: name, consistentPoint: row.lsn, created: false };
}

const DROP_ATTEMPTS = 50;
const DROP_WAIT_MS = 100;

/**
 * Drops the slot and the publication if they exist. An active slot (a walsender or a peek still holds
 * it) is released first by terminating that backend; the drop is retried briefly while the backend exits.
 */
export async function dropSlotAndPublication(db: Queryable, names: CdcNames): Promise<void> {
  try {
    for (let attempt = 1; ; attempt++) {
      await db.query(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL`, [
        names.slot,
      ]);
      try {
        await db.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`, [names.slot]);
        break;
      } catch (err) {
        // 55006 object_in_use: the terminated backend has not released the slot yet.
        if (serverError(err)?.sqlstate !== "55006" || attempt >= DROP_ATTEMPTS) throw err;
        await new Promise((r) => setTimeout(r, DROP_WAIT_MS));
      }
    }
    await db.query(`DROP PUBLICATION IF EXISTS ${quoteIdent(names.publication)}`);
  } catch (err) {
    throw slotError(err, "the replication slot");
  }
}

export function slotMissing(slot: string): AppError {
  return new AppError("SLOT_MISSING", `The replication slot ${slot} does not exist on the source (dropped, or never created).`, {
    status: 409,
    details: { slot },
  });
}

/**
 * The readiness codes of slot and publication work: SQLSTATEs that mean "the source is not set up for
 * CDC" become stable codes a person can act on; everything else goes through the one classifier.
 */
export function slotError(err: unknown, what: string): AppError {
  if (err instanceof AppError) return err;
  const server = serverError(err);
  const cause = { cause: err, status: 400, retryable: false } as const;
  switch (server?.sqlstate) {
    case "55000":
      if (/wal_level/i.test(server.message)) {
        return new AppError("WAL_LEVEL_NOT_LOGICAL", `The source cannot decode changes for ${what}: ${server.message}.`, cause);
      }
      break;
    case "42501":
      return new AppError(
        "NO_REPLICATION_PRIVILEGE",
        `The source user may not manage ${what} (${server.message}); it needs the REPLICATION attribute and ownership of the published tables.`,
        cause,
      );
    case "53400":
      return new AppError("NO_FREE_SLOT", `The source has no free replication slot: ${server.message}.`, { ...cause, status: 503 });
  }
  return classifyError(err, { subject: "the source database" });
}
