import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type postgres from "postgres";

/** ../shared beside the repository (the checkout's sibling, in development and in CI alike). */
export const CHINOOK_SQL = resolve(import.meta.dirname, "../../../shared/datasets/chinook/Chinook_PostgreSql.sql");

export const CHINOOK_TABLES = [
  "album", "artist", "customer", "employee", "genre", "invoice", "invoice_line", "media_type", "playlist", "playlist_track", "track",
];

/**
 * Loads Chinook into the connected database. The script is written for psql: it drops and creates a
 * database and switches to it with `\c`; everything after that line is plain SQL, run as one simple query.
 */
export async function loadChinook(sql: postgres.Sql, path = process.env.CHINOOK_SQL ?? CHINOOK_SQL): Promise<void> {
  const script = readFileSync(path, "utf8");
  const marker = script.search(/^\\c\b.*$/m);
  if (marker < 0) throw new Error("Chinook script has no \\c line");
  const body = script.slice(script.indexOf("\n", marker) + 1);
  if (/^\\/m.test(body)) throw new Error("Chinook script has psql meta-commands after \\c");
  await sql.unsafe(body);
}
