import type { Queryable, RawResult } from "../db/queryable";
import { toJsonValue, type ArrayType } from "../db/values";
import { AppError } from "../errors/app-error";
import { classifyError, serverError } from "../errors/classify";
import { splitStatements, type Statement } from "./split-statements";

/**
 * The read-only database browser (`POST /connectors/:id/query`). Invariants:
 * - exactly one statement reaches the server, and never transaction or session control: a COMMIT in the
 *   text would end the READ ONLY transaction and let what follows write;
 * - it runs inside a READ ONLY transaction with a local statement_timeout, so PostgreSQL itself refuses
 *   writes and long queries, and the transaction is never left open;
 * - a query result is read through a cursor, at most limit + 1 rows, so a huge result is never pulled.
 */

export interface RunQueryOptions {
  /** Rows to return, 1…1000 (default 100). */
  limit?: number;
  /** statement_timeout in milliseconds (default 5000). */
  timeoutMs?: number;
}

export interface QueryResult {
  columns: { name: string; type: string }[];
  /** JSON-safe values (engine/db/values.ts). */
  rows: unknown[][];
  rowCount: number;
  /** More rows existed than `limit`. */
  truncated: boolean;
  durationMs: number;
}

export const MAX_LIMIT = 1000;

/** First keywords refused: they control the transaction or the session, or act outside the transaction. */
const NOT_ALLOWED = new Set([
  "begin", "start", "commit", "end", "rollback", "abort", "savepoint", "release", "prepare", "set", "reset",
  "discard", "listen", "unlisten", "notify", "copy", "lock", "call", "do", "checkpoint", "load",
]);

/** First tokens of statements DECLARE … CURSOR FOR accepts. */
const CURSOR_FIRST = new Set(["select", "values", "table", "with", "("]);

const CURSOR = "dtaas_browse";
const DECLARE = `DECLARE ${CURSOR} NO SCROLL CURSOR FOR\n`;

export async function runQuery(db: Queryable, sql: string, options: RunQueryOptions = {}): Promise<QueryResult> {
  const limit = options.limit ?? 100;
  const timeoutMs = options.timeoutMs ?? 5000;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new AppError("INVALID_LIMIT", `limit must be an integer from 1 to ${MAX_LIMIT}.`, { status: 400 });
  }
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new Error("timeoutMs must be a positive integer");
  const statement = checkStatement(sql);
  const text = sql.slice(statement.start, statement.end);
  const viaCursor = CURSOR_FIRST.has(statement.first);
  // Offset (in characters, as PostgreSQL counts positions) from a position in what is sent to one in `sql`.
  const shift = [...sql.slice(0, statement.start)].length - (viaCursor ? DECLARE.length : 0);

  const started = Date.now();
  return db.transaction(
    async (tx) => {
      // SET LOCAL, in one round trip: settings end with the transaction. The output settings make the text
      // that engine/db/values.ts converts independent of the server's or the role's defaults.
      await tx.query(
        `SELECT set_config('statement_timeout', $1, true), set_config('TimeZone', 'UTC', true),
                set_config('DateStyle', 'ISO, YMD', true), set_config('IntervalStyle', 'postgres', true),
                set_config('bytea_output', 'hex', true), set_config('standard_conforming_strings', 'on', true)`,
        [`${timeoutMs}ms`],
      );
      let raw: RawResult;
      try {
        if (viaCursor) {
          await tx.queryRaw(`${DECLARE}${text}\n`);
          raw = await tx.queryRaw(`FETCH FORWARD ${limit + 1} FROM ${CURSOR}`);
        } else {
          raw = await tx.queryRaw(text);
        }
      } catch (e) {
        throw userStatementError(e, shift, timeoutMs);
      }
      const arrays = await arrayTypes(tx, raw);
      const truncated = raw.rows.length > limit;
      const rows = raw.rows.slice(0, limit).map((row) => row.map((v, i) => toJsonValue(v, raw.columns[i]!.typeOid, arrays.types)));
      return {
        columns: raw.columns.map((c) => ({ name: c.name, type: arrays.names.get(c.typeOid) ?? String(c.typeOid) })),
        rows,
        rowCount: rows.length,
        truncated,
        durationMs: Date.now() - started,
      };
    },
    { readOnly: true },
  );
}

/** The one statement in `sql`, or a 400 saying why it may not run. */
export function checkStatement(sql: string): Statement {
  const statements = splitStatements(sql);
  if (statements.length === 0) throw new AppError("EMPTY_QUERY", "The query contains no statement.", { status: 400 });
  if (statements.length > 1) {
    throw new AppError("MULTIPLE_STATEMENTS", `Run one statement at a time; this text holds ${statements.length}.`, {
      status: 400,
      details: { statements: statements.length },
    });
  }
  const statement = statements[0]!;
  if (NOT_ALLOWED.has(statement.first)) {
    throw new AppError(
      "STATEMENT_NOT_ALLOWED",
      `${statement.first.toUpperCase()} is not allowed in the browser: it controls the transaction or the session, which stays read-only.`,
      { status: 400, details: { statement: statement.first.toUpperCase() } },
    );
  }
  return statement;
}

/** Server errors of the user's own statement are reported with PostgreSQL's text; connection failures are classified. */
function userStatementError(e: unknown, shift: number, timeoutMs: number): AppError {
  const server = serverError(e);
  const classified = classifyError(e);
  if (!server || ["DATABASE_UNREACHABLE", "ADMIN_SHUTDOWN", "TOO_MANY_CONNECTIONS", "AUTH_FAILED"].includes(classified.code)) {
    return classified;
  }
  const position = server.position !== undefined && server.position + shift >= 1 ? server.position + shift : undefined;
  const details = { sqlstate: server.sqlstate, message: server.message, ...(position !== undefined ? { position } : {}) };
  const readOnly = server.sqlstate === "25006" || (server.sqlstate === "0A000" && /data-modifying/i.test(server.message));
  if (readOnly) {
    return new AppError("READ_ONLY_VIOLATION", `The browser is read-only: ${server.message}.`, { status: 400, details, cause: e });
  }
  if (server.sqlstate === "57014") {
    return new AppError("QUERY_TIMEOUT", `The query ran longer than ${timeoutMs} ms and was cancelled.`, { status: 400, details, cause: e });
  }
  return new AppError("QUERY_FAILED", server.message, { status: 400, details, cause: e });
}

/** Type names of the result's columns, and the array types among them (element and delimiter). */
async function arrayTypes(tx: Queryable, raw: RawResult) {
  const names = new Map<number, string>();
  const types = new Map<number, ArrayType>();
  const oids = [...new Set(raw.columns.map((c) => c.typeOid))];
  if (oids.length === 0) return { names, types };
  const rows = await tx.query<{ oid: number; name: string; elem: number; delim: string; array: boolean }>(
    `SELECT oid, format_type(oid, NULL) AS name, typelem AS elem, typdelim::text AS delim,
            (typelem <> 0 AND typlen = -1) AS array
       FROM pg_type WHERE oid = ANY ($1::oid[])`,
    [oids],
  );
  for (const r of rows) {
    names.set(r.oid, r.name);
    if (r.array) types.set(r.oid, { elem: r.elem, delim: r.delim });
  }
  return { names, types };
}
