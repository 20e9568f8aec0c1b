import type postgres from "postgres";
import type { Readable, Writable } from "node:stream";
import { createPassthrough } from "./copy-passthrough";
import { rawPath } from "./dedicated-connection";
import { onCopyFailure } from "./copy-failure";

/** Bytes per write into the target COPY: many small CopyData messages cost 1.34× the time of ~256 KiB writes. */
export const PIECE_BYTES = 256 * 1024;

/**
 * Moves a COPY-out's rows into a COPY-in between two dedicated connections: when both are plain TCP, by
 * forwarding the source's CopyData messages verbatim (copy-passthrough.ts: no work per row); otherwise
 * (TLS and the like, whose sockets postgres.js hides) row by row, in pieces (`createPiecePump`).
 * Must be created before the COPY-out statement is sent on `source`.
 */
export function createPump(source: postgres.Sql, target: postgres.Sql, onProgress?: (bytes: number) => void): CopyPump {
  const from = rawPath(source);
  const to = rawPath(target);
  return from && to ? createPassthrough(from, to, onProgress) : createPiecePump(onProgress);
}

/**
 * `push` is installed as the COPY-out Readable's `push` (copy-stream.ts): postgres.js calls it for each
 * CopyData message it parses, and with null at CopyDone. `run` starts moving data once the target's COPY
 * stream exists and resolves with the CopyData payload bytes moved, after the source has ended and the
 * target stream has been ended. It rejects on the first failure onCopyFailure sees (`watch`: the
 * statements' completions).
 */
export interface CopyPump {
  push(row: Buffer | null): boolean;
  run(reader: Readable, writer: Writable, watch: readonly Promise<unknown>[]): Promise<number>;
  /** The copy failed elsewhere: discard further rows without pausing the source (see `push`). */
  abandon(): void;
}

/**
 * Moves COPY-out rows into a COPY-in stream in pieces of about PIECE_BYTES.
 *
 * `push` is what postgres.js calls for every CopyData message (one row) of the source COPY, and with null
 * at CopyDone: copy-stream.ts installs it as the COPY-out Readable's `push` the moment the stream exists,
 * before any row arrives. Each row is copied straight into the piece being filled — no Readable buffering
 * and no async step per row. postgres.js pauses the socket when `push` answers false, and the Readable's
 * `_read` resumes it (internals of postgres.js 3.4.9, covered by the copy tests).
 *
 * Memory stays flat: until the target is attached and whenever it has not drained, `push` answers false
 * and the source socket pauses; only the rest of the socket read already in hand is taken meanwhile.
 */
function createPiecePump(onProgress?: (bytes: number) => void): CopyPump {
  let piece = Buffer.allocUnsafe(PIECE_BYTES);
  let used = 0;
  let bytes = 0;
  /** Full pieces waiting for the target to be attached. */
  const pending: Buffer[] = [];
  let writer: Writable | null = null;
  let reader: Readable | null = null;
  let waiting = false;
  let ended = false;
  let settled = false;
  let settle: (error: unknown | null) => void = () => {};

  const write = (buffer: Buffer) => {
    if (!writer) {
      pending.push(buffer);
      return;
    }
    // A Writable keeps a reference to a buffer it cannot write at once: never reuse `piece` after this.
    if (!writer.write(buffer)) waiting = true;
    onProgress?.(bytes);
  };
  const flush = () => {
    if (used === 0) return;
    write(used === piece.length ? piece : piece.subarray(0, used));
    piece = Buffer.allocUnsafe(PIECE_BYTES);
    used = 0;
  };
  const end = () => {
    flush();
    writer!.end();
    // CopyDone may arrive in a socket read that paused the socket: resume it, or nothing reads the
    // connection's next messages (CommandComplete, ReadyForQuery) again.
    resumeSource(reader!);
    settle(null);
  };

  return {
    push(row) {
      // After a failure rows are discarded without pausing: the caller cancels the source statement, and a
      // paused socket would leave its backend blocked on a full send buffer, holding its snapshot.
      if (settled) return true;
      if (row === null) {
        ended = true;
        if (writer) end();
        return false;
      }
      bytes += row.length;
      if (row.length > piece.length - used) flush();
      if (row.length >= piece.length) write(row);
      else {
        row.copy(piece, used);
        used += row.length;
      }
      return writer ? !waiting : pending.length === 0;
    },

    abandon() {
      settled = true;
    },

    run(source, target, watch) {
      return new Promise<number>((resolve, reject) => {
        const onDrain = () => {
          waiting = false;
          resumeSource(source);
        };
        let detach = () => {};
        settle = (error) => {
          if (settled) return;
          settled = true;
          target.off("drain", onDrain);
          detach();
          if (error === null) resolve(bytes);
          else reject(error);
        };
        target.on("drain", onDrain);
        detach = onCopyFailure(source, target, watch, settle);
        reader = source;
        writer = target;
        for (const buffer of pending.splice(0)) write(buffer);
        if (ended) end();
        else if (!waiting) resumeSource(source);
      });
    },
  };
}

function resumeSource(reader: Readable): void {
  try {
    reader._read(0);
  } catch {
    // The connection is already gone (postgres.js cleared its socket): nothing left to resume.
  }
}
