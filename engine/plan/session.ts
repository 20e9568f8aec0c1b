import type postgres from "postgres";

/**
 * Session settings that fix every text form DTaaS reads or writes: chunk bounds (`key::text`), text-format
 * COPY, and the row text hashed by checksums. Both sides always run under them, so a server or role
 * default (DateStyle `SQL, DMY`, extra_float_digits 0, which rounds floats) can never make the two sides
 * disagree or lose precision.
 */
const SETTINGS: ReadonlyArray<[string, string]> = [
  ["TimeZone", "UTC"],
  ["DateStyle", "ISO, YMD"],
  ["IntervalStyle", "postgres"],
  ["extra_float_digits", "3"],
  ["bytea_output", "hex"],
  ["standard_conforming_strings", "on"],
  // Not a text form: JIT compiles a checksum's expression once in every backend and parallel worker that
  // runs it, which costs more than it saves on these simple per-row expressions (2M pgbench rows: 0.35 s
  // with JIT, 0.24 s without). Exists since PostgreSQL 11, which the checksum's hash functions need anyway.
  ["jit", "off"],
  // Nor a text form: a checksum runs beside other work by design (the COPY it checks, the key's index
  // build), and parallel workers on top oversubscribe the cores. 2M pgbench rows on 2 cores: alone
  // 0.19–0.25 s with two workers vs 0.24–0.25 s without; in a full load the copy took 2.07–2.21 s and the
  // finish 1.37–1.47 s without them, against 2.15–2.52 s and 1.58–1.61 s with.
  ["max_parallel_workers_per_gather", "0"],
];

/** Startup parameters for connections DTaaS opens itself (copy/dedicated-connection.ts). */
export const SESSION_PARAMETERS: Readonly<Record<string, string>> = Object.fromEntries(SETTINGS);

const SET_LOCAL = `SELECT ${SETTINGS.map(([k, v]) => `set_config('${k}', '${v}', true)`).join(", ")}`;

/**
 * Runs one parameterless statement under the settings on a pooled connection, returning its rows. Both go
 * in one simple-protocol message, which PostgreSQL runs as one implicit transaction, so the settings are
 * local to it and the pooled session is left as it was. No client-side transaction is involved: with
 * postgres.js 3.4.9 a `sql.begin` whose connection dies issues its ROLLBACK on the dead socket and crashes
 * the process (porsager/postgres#1208). Values are inlined with `literalBinder`.
 */
export async function querySettled<T>(sql: postgres.Sql, statement: string): Promise<T[]> {
  const results = (await sql.unsafe(`${SET_LOCAL};\n${statement}`)) as unknown as T[][];
  return results[1] ?? [];
}
