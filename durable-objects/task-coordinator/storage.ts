/**
 * The coordinator's SQLite schema, migrated idempotently on wake. Persisted: do not rename tables or
 * columns; add a new migration instead. One run at a time lives here (the task's current or last run).
 */
const MIGRATIONS: string[] = [
  `CREATE TABLE IF NOT EXISTS run (
     id TEXT PRIMARY KEY,
     task_id TEXT NOT NULL,
     tenant_id TEXT NOT NULL,
     status TEXT NOT NULL,
     phase TEXT NOT NULL,
     spec TEXT NOT NULL,
     error_code TEXT,
     error_message TEXT,
     started_at INTEGER NOT NULL,
     finished_at INTEGER,
     dirty INTEGER NOT NULL DEFAULT 1
   );
   CREATE TABLE IF NOT EXISTS tables (
     key TEXT PRIMARY KEY,
     ord INTEGER NOT NULL,
     info TEXT NOT NULL,
     target_schema TEXT NOT NULL,
     target_name TEXT NOT NULL,
     status TEXT NOT NULL,
     chunks_total INTEGER NOT NULL,
     validation TEXT NOT NULL,
     error_code TEXT,
     error_message TEXT,
     started_at INTEGER,
     finished_at INTEGER
   );
   CREATE TABLE IF NOT EXISTS jobs (
     key TEXT PRIMARY KEY,
     kind TEXT NOT NULL,
     table_key TEXT,
     chunk_idx INTEGER,
     chunk TEXT,
     status TEXT NOT NULL,
     attempt INTEGER NOT NULL DEFAULT 0,
     attempt_id TEXT,
     lease_until INTEGER,
     not_before INTEGER NOT NULL DEFAULT 0,
     clean_range INTEGER NOT NULL DEFAULT 0,
     mismatches INTEGER NOT NULL DEFAULT 0,
     rows INTEGER NOT NULL DEFAULT 0,
     bytes INTEGER NOT NULL DEFAULT 0,
     error_code TEXT,
     error_message TEXT,
     updated_at INTEGER NOT NULL
   );
   CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, not_before);
   CREATE UNIQUE INDEX IF NOT EXISTS jobs_attempt ON jobs (attempt_id);
   CREATE TABLE IF NOT EXISTS samples (time INTEGER PRIMARY KEY, rows INTEGER NOT NULL, bytes INTEGER NOT NULL);`,
  // v2: change capture state of the run (slot, applied LSN, lag), JSON of CdcState.
  `ALTER TABLE run ADD COLUMN cdc TEXT;`,
  // v3: a copy job's source checksum (JSON {rows, hash}), compared with the target's when the table finishes.
  `ALTER TABLE jobs ADD COLUMN checksum TEXT;`,
  // v4: the batch a dispatched job went out in (scheduling.ts JobState.lane).
  `ALTER TABLE jobs ADD COLUMN lane TEXT;`,
  // v5: a table's jobs, read on each of its events (RunStore.copiesOf, copiesLeft).
  `CREATE INDEX IF NOT EXISTS jobs_table ON jobs (table_key, kind);`,
  // v6: what a finished copy saw of the source (JSON of CopySnapshot), for the change stream after the load.
  `ALTER TABLE jobs ADD COLUMN snapshot TEXT;`,
];

export function migrate(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  const row = sql.exec<{ version: number }>("SELECT version FROM schema_version").toArray()[0];
  const current = row?.version ?? 0;
  for (let v = current; v < MIGRATIONS.length; v++) sql.exec(MIGRATIONS[v]!);
  if (!row) sql.exec("INSERT INTO schema_version (version) VALUES (?)", MIGRATIONS.length);
  else if (current < MIGRATIONS.length) sql.exec("UPDATE schema_version SET version = ?", MIGRATIONS.length);
}

export function clearRun(sql: SqlStorage): void {
  for (const t of ["run", "tables", "jobs", "samples"]) sql.exec(`DELETE FROM ${t}`);
}
