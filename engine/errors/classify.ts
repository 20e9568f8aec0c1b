import { AppError, isAppError } from "./app-error";

/**
 * The one classifier (DESIGN.md §5): any error from a driver, a socket or the runtime becomes an AppError
 * with a stable code and a retry decision. SQLSTATE decides for server errors; socket codes and the
 * messages of postgres.js, the Neon client and workerd's sockets decide for connection failures.
 * Messages are written here for people; server text is included only after `scrub` (no URLs, no passwords).
 */

export interface ClassifyContext {
  /** Who failed, in words, e.g. "the source database". Default "the database". */
  subject?: string;
}

interface Rule {
  code: string;
  status: number;
  retryable: boolean;
  message: (subject: string, serverText: string) => string;
}

const rule = (code: string, status: number, retryable: boolean, message: Rule["message"]): Rule => ({ code, status, retryable, message });

const AUTH = rule("AUTH_FAILED", 400, false, (s, t) => `${cap(s)} refused the login: ${t}. Check the user name and password.`);
const UNREACHABLE = rule("DATABASE_UNREACHABLE", 502, true, (s, t) => `Could not reach ${s}: ${t}.`);
const TLS = rule("TLS_FAILED", 502, false, (s, t) => `The TLS connection to ${s} failed: ${t}. Check the connector's sslmode and the server's certificate.`);
const TIMEOUT = rule("QUERY_TIMEOUT", 400, false, (s) => `The statement ran longer than the statement timeout on ${s} and was cancelled.`);

/** SQLSTATE (exact) → rule. */
const BY_SQLSTATE: Record<string, Rule> = {
  "28P01": AUTH,
  "28000": AUTH,
  "3D000": rule("DATABASE_NOT_FOUND", 400, false, (s, t) => `The server of ${s} has no such database: ${t}.`),
  "42P01": rule("TABLE_MISSING", 400, false, (s, t) => `A table is missing on ${s}: ${t}.`),
  "3F000": rule("TABLE_MISSING", 400, false, (s, t) => `A schema is missing on ${s}: ${t}.`),
  "42501": rule("PERMISSION_DENIED", 400, false, (s, t) => `The user lacks a privilege on ${s}: ${t}.`),
  "40001": rule("SERIALIZATION_FAILURE", 409, true, (s, t) => `${cap(s)} aborted the transaction: ${t}.`),
  "40P01": rule("SERIALIZATION_FAILURE", 409, true, (s, t) => `${cap(s)} aborted the transaction: ${t}.`),
  "53300": rule("TOO_MANY_CONNECTIONS", 503, true, (s) => `${cap(s)} has no free connection slots.`),
  "57P01": rule("ADMIN_SHUTDOWN", 503, true, (s, t) => `${cap(s)} is shutting down or restarting: ${t}.`),
  "57P02": rule("ADMIN_SHUTDOWN", 503, true, (s, t) => `${cap(s)} is shutting down or restarting: ${t}.`),
  "57P03": rule("ADMIN_SHUTDOWN", 503, true, (s, t) => `${cap(s)} is not accepting connections yet: ${t}.`),
  "57014": TIMEOUT,
  "25006": rule("READ_ONLY_VIOLATION", 400, false, (s, t) => `Refused in a read-only transaction on ${s}: ${t}.`),
  "53100": rule("DISK_FULL", 507, false, (s, t) => `${cap(s)} is out of disk space: ${t}.`),
};

/** SQLSTATE class (first two characters) → rule, when no exact code matched. */
const BY_CLASS: Record<string, Rule> = {
  "08": UNREACHABLE, // connection exception
  "53": rule("DATABASE_BUSY", 503, true, (s, t) => `${cap(s)} is short of resources: ${t}.`),
};

const DATABASE_ERROR = rule("DATABASE_ERROR", 502, false, (s, t) => `${cap(s)} reported an error: ${t}.`);

/** Socket and driver error codes (not SQLSTATEs) → reason in words; all mean the server was not reached. */
const CONNECTION_CODES: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host name not found",
  EAI_AGAIN: "host name lookup failed",
  ETIMEDOUT: "connection timed out",
  ECONNRESET: "connection reset",
  ECONNABORTED: "connection aborted",
  EPIPE: "connection closed",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  CONNECT_TIMEOUT: "connection timed out",
  CONNECTION_CLOSED: "connection closed",
  CONNECTION_ENDED: "connection ended",
  CONNECTION_DESTROYED: "connection destroyed",
};

/** Messages without a code (pg/Neon client, workerd sockets, WebSocket failures) → reason in words. */
const CONNECTION_MESSAGES: [RegExp, string][] = [
  [/connection refused/i, "connection refused"],
  [/timeout expired|connection timeout|timed out/i, "connection timed out"],
  [/connection terminated|terminated unexpectedly|network connection lost|socket closed|stream was cancell?ed/i, "connection lost"],
  [/proxy request failed|cannot connect to the specified address/i, "connection refused"],
  [/websocket|unexpected server response/i, "WebSocket connection failed"],
  [/not queryable|connection error/i, "connection lost"],
];

/**
 * TLS failures: the server refused TLS where sslmode requires it (engine/copy/tls-negotiation.ts), or its
 * certificate was not accepted (Node's OpenSSL verification codes, ERR_TLS_* and ERR_SSL_* codes).
 * Trying again cannot help until the connector or the server changes.
 */
const TLS_CODES = /^(TLS_REFUSED|ERR_TLS_|ERR_SSL_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|UNABLE_TO_|CERT_|HOSTNAME_MISMATCH$)/;

/** postgres.js failures of the authentication exchange itself. */
const AUTH_CODES = new Set(["SASL_SIGNATURE_MISMATCH", "AUTH_TYPE_NOT_IMPLEMENTED"]);

const SQLSTATE = /^([0-5][0-9A-Z]|F0|HV|P0|XX)[0-9A-Z]{3}$/;

interface Found {
  sqlstate?: string;
  code?: string;
  message: string;
  position?: number;
  /** Every message seen along the chain, for the message patterns. */
  trail?: string;
}

export function classifyError(err: unknown, context: ClassifyContext = {}): AppError {
  if (isAppError(err)) return err;
  const subject = context.subject ?? "the database";
  const found = inspect(err);
  if (found.sqlstate) {
    const r = BY_SQLSTATE[found.sqlstate] ?? BY_CLASS[found.sqlstate.slice(0, 2)] ?? DATABASE_ERROR;
    return make(r, subject, scrub(found.message), err, { sqlstate: found.sqlstate });
  }
  if (found.code && AUTH_CODES.has(found.code)) return make(AUTH, subject, "authentication failed", err, { code: found.code });
  if (found.code && TLS_CODES.test(found.code)) return make(TLS, subject, scrub(found.message), err, { code: found.code });
  const reason =
    (found.code && CONNECTION_CODES[found.code]) ?? CONNECTION_MESSAGES.find(([re]) => re.test(found.trail ?? found.message))?.[1];
  if (reason) return make(UNREACHABLE, subject, reason, err, found.code ? { code: found.code } : undefined);
  return make(DATABASE_ERROR, subject, "unexpected failure", err, undefined);
}

/** Whether trying again can help (DESIGN.md §5). */
export function isRetryable(err: unknown): boolean {
  return classifyError(err).retryable;
}

/** SQLSTATE details of a server error, if `err` is one (also when wrapped): for callers that report them. */
export function serverError(err: unknown): { sqlstate: string; message: string; position?: number } | null {
  const found = inspect(err);
  return found.sqlstate ? { sqlstate: found.sqlstate, message: scrub(found.message), position: found.position } : null;
}

function make(r: Rule, subject: string, text: string, cause: unknown, details: Record<string, string> | undefined): AppError {
  return new AppError(r.code, r.message(subject, text), { status: r.status, retryable: r.retryable, details, cause });
}

/** Looks through `cause`, `error` (WebSocket ErrorEvent) and `errors` (AggregateError) for what identifies it. */
function inspect(err: unknown): Found {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  let first: Found | undefined;
  const trail: string[] = [];
  while (queue.length > 0 && seen.size < 16) {
    const e = queue.shift();
    if (e === null || e === undefined || seen.has(e)) continue;
    seen.add(e);
    if (typeof e !== "object") {
      first ??= { message: String(e) };
      trail.push(String(e));
      continue;
    }
    const o = e as Record<string, unknown>;
    const code = typeof o.code === "string" ? o.code : undefined;
    const message = typeof o.message === "string" ? o.message : "";
    const position = o.position === undefined ? undefined : Number(o.position);
    if (code && SQLSTATE.test(code)) return { sqlstate: code, message, position: Number.isFinite(position) ? position : undefined };
    trail.push(message);
    const here: Found = { code, message };
    if (code && (CONNECTION_CODES[code] || AUTH_CODES.has(code))) return here;
    if (!first || (!first.message && message)) first = here;
    queue.push(o.cause, o.error, ...(Array.isArray(o.errors) ? o.errors : []));
  }
  return { ...(first ?? { message: "" }), trail: trail.join("\n") };
}

/** Removes what must never reach a person through an error message: URLs and password assignments. */
export function scrub(text: string): string {
  return text
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, "[url]")
    .replace(/(password\s*[=:]\s*)('[^']*'|"[^"]*"|\S+)/gi, "$1[hidden]")
    .replace(/(password\s+)('[^']*')/gi, "$1[hidden]")
    .replace(/\.+$/, "")
    .slice(0, 500);
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
