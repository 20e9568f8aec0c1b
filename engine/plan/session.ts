import type postgres from "postgres";

/**
 * Session settings that fix every text form DTaaS reads or writes: chunk bounds (`key::text`), text-format
 * COPY, and the row text hashed by checksums. Applied with `SET LOCAL` semantics at the start of each
 * transaction on both sides, so a server or role default (a DateStyle of `SQL, DMY`, extra_float_digits 0,
 * which rounds floats) can never make the two sides disagree or lose precision.
 */
const SETTINGS: ReadonlyArray<[string, string]> = [
  ["TimeZone", "UTC"],
  ["DateStyle", "ISO, YMD"],
  ["IntervalStyle", "postgres"],
  ["extra_float_digits", "3"],
  ["bytea_output", "hex"],
  ["standard_conforming_strings", "on"],
];

const STATEMENT = `SELECT ${SETTINGS.map(([k, v]) => `set_config('${k}', '${v}', true)`).join(", ")}`;

/** Call first inside a transaction. */
export async function applySessionSettings(tx: postgres.TransactionSql): Promise<void> {
  await tx.unsafe(STATEMENT);
}
