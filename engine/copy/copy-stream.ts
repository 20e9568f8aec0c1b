import type postgres from "postgres";
import type { Readable, Writable } from "node:stream";

/**
 * A COPY statement started on a postgres.js connection, with what `.readable()` / `.writable()` alone do
 * not give: the command tag's row count, and errors that arrive after the stream has ended.
 *
 * Hazards of postgres.js 3.4.9 that this works around (it wraps `Query#resolve` / `#reject`, internals of
 * that pinned version, covered by the copy tests):
 * - the query promise resolves with the stream, so the tag `COPY n` (delivered by a second `resolve`
 *   at ReadyForQuery) is otherwise lost;
 * - an error reported after the writable's `final` (CopyDone sent) never reaches the stream, so a caller
 *   waiting only for `finish` would hang; `done` rejects instead;
 * - resolving with the stream marks the query inactive, which turns `cancel()` into a no-op; the query is
 *   kept active until it has really completed;
 * - the COPY-out Readable pauses the socket whenever `push` reports a full buffer and resumes it only from
 *   `_read`; when the last CopyData and CopyDone arrive in one socket read, the stream ends with the socket
 *   paused and nothing ever reads the connection again (ReadyForQuery, the next statement). On 'end' the
 *   stream's own `_read` is called once to resume it.
 */
export interface CopyHandle<S> {
  stream: Promise<S>;
  /** Rows in the COPY command tag, once the server has completed the statement. */
  done: Promise<number>;
  /** Sends a cancel request for the running COPY; nothing once it has completed. */
  cancel(): Promise<void>;
}

interface QueryInternals {
  resolve(value: unknown): void;
  cancel(): Promise<void> | void;
  reject(error: unknown): void;
  simple(): unknown;
  streaming: boolean;
  execute(): unknown;
}

function start<S>(sql: postgres.Sql | postgres.TransactionSql, statement: string): CopyHandle<S> {
  const query = sql.unsafe(statement);
  const q = query as unknown as QueryInternals;
  let gotStream = false;
  let settleStream!: [(s: S) => void, (e: unknown) => void];
  let settleDone!: [(n: number) => void, (e: unknown) => void];
  const stream = new Promise<S>((resolve, reject) => (settleStream = [resolve, reject]));
  const done = new Promise<number>((resolve, reject) => (settleDone = [resolve, reject]));
  // Either promise may be left unobserved when the other one carries the failure.
  stream.catch(() => {});
  done.catch(() => {});
  let settled = false;
  done.then(() => (settled = true), () => (settled = true));
  const originalResolve = q.resolve;
  const originalReject = q.reject;
  q.resolve = (value: unknown) => {
    if (!gotStream && value && typeof (value as { pipe?: unknown }).pipe === "function") {
      gotStream = true;
      // Failures are observed through the pump and `done`; without a listener an 'error' event would
      // crash the process.
      const piped = value as Readable | Writable;
      piped.on("error", () => {});
      if ("_read" in piped) piped.once("end", () => resumeSocket(piped));
      settleStream[0](value as S);
      return;
    }
    const count = (value as { count?: number | null } | undefined)?.count;
    settleDone[0](typeof count === "number" ? count : 0);
    originalResolve(value);
  };
  q.reject = (error: unknown) => {
    settleStream[1](error);
    settleDone[1](error);
    originalReject(error);
  };
  q.simple();
  q.streaming = true;
  // The query's own promise only mirrors `done`; its rejection is observed there.
  query.catch(() => {});
  // After completion postgres.js would park a cancel request until the next query: never send one then.
  return { stream, done, cancel: async () => void (settled ? undefined : await q.cancel()) };
}

function resumeSocket(readable: Readable): void {
  try {
    readable._read(0);
  } catch {
    // The connection is already gone (postgres.js cleared its socket): nothing left to resume.
  }
}

/** `COPY … TO STDOUT` as a Readable with backpressure down to the socket. */
export function copyOut(sql: postgres.Sql | postgres.TransactionSql, statement: string): CopyHandle<Readable> {
  return start<Readable>(sql, statement);
}

/** `COPY … FROM STDIN` as a Writable; `done` gives the rows the server stored. */
export function copyIn(sql: postgres.Sql | postgres.TransactionSql, statement: string): CopyHandle<Writable> {
  return start<Writable>(sql, statement);
}
