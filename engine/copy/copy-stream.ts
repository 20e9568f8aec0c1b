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
 *   kept active until it has really completed.
 * How COPY-out rows are taken (postgres.js feeds the Readable's `push`) is copy-pump.ts's business.
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

function start<S>(sql: postgres.Sql | postgres.TransactionSql, statement: string, push?: Readable["push"]): CopyHandle<S> {
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
      // Synchronously, while postgres.js is still in the CopyOutResponse handler: before any row arrives.
      if (push) (piped as Readable).push = push;
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

/** `COPY … TO STDOUT`, each row handed to `push` (a CopyPump's) instead of the Readable's own buffer. */
export function copyOut(sql: postgres.Sql | postgres.TransactionSql, statement: string, push: (row: Buffer | null) => boolean): CopyHandle<Readable> {
  return start<Readable>(sql, statement, push as Readable["push"]);
}

/** `COPY … FROM STDIN` as a Writable; `done` gives the rows the server stored. */
export function copyIn(sql: postgres.Sql | postgres.TransactionSql, statement: string): CopyHandle<Writable> {
  return start<Writable>(sql, statement);
}
