import type { Socket } from "node:net";
import type { Readable, Writable } from "node:stream";
import type { CopyPump } from "./copy-pump";
import type { RawPath } from "./socket-tap";
import { onCopyFailure } from "./copy-failure";

/** Bytes queued on the target socket beyond which the source socket pauses until the target drains. */
export const QUEUED_BYTES = 1024 * 1024;
const HEADER_BYTES = 5;

/**
 * A CopyPump that forwards the source's CopyData messages to the target socket as the bytes they arrived
 * in: the source socket's tap (socket-tap.ts) hands them over before postgres.js parses them, so the
 * runner does no work per row. postgres.js still handles everything else on both connections: the
 * CopyOutResponse, CopyDone, CommandComplete, ReadyForQuery and errors of the source, the whole target
 * protocol, and the CopyDone the target Writable's `end()` sends.
 *
 * Invariants:
 * - The source is diverted from creation: the COPY-out statement must be the next one sent on it.
 * - Ordering on the target socket: every forwarded byte is written before the Writable's `end()` (CopyDone
 *   reaches `push(null)` only after the CopyData messages before it went to the sink), and nothing is ever
 *   written through the Writable, whose own queue would not be ordered with direct socket writes.
 * - Until the target's COPY-in has started (its CopyInResponse), forwarded bytes are held and the source
 *   socket pauses: at most the socket reads already in hand are held.
 * - Backpressure: beyond QUEUED_BYTES queued on the target socket the source socket pauses; the target's
 *   'drain' resumes it. Whatever paused the source resumes it when the pump ends or is abandoned, so a
 *   source backend is never left blocked on a socket nobody reads.
 * - After `abandon` forwarded bytes are discarded and the source flows (the caller cancels the statement).
 */
export function createPassthrough(source: RawPath, target: RawPath, onProgress?: (bytes: number) => void): CopyPump {
  let bytes = 0;
  const pending: Buffer[] = [];
  let out: Socket | null = null;
  let writer: Writable | null = null;
  let paused = false;
  let ended = false;
  let settled = false;
  let settle: (error: unknown | null) => void = () => {};

  const pause = () => {
    paused = true;
    source.socket?.pause();
  };
  const resume = () => {
    if (!paused) return;
    paused = false;
    source.socket?.resume();
  };
  const write = (chunk: Buffer) => {
    // A destroyed target reports through postgres.js (`done` rejects): nothing to write to meanwhile.
    if (out!.destroyed) return;
    out!.write(chunk);
    if (out!.writableLength > QUEUED_BYTES) pause();
  };
  const end = () => {
    writer!.end();
    resume();
    settle(null);
  };

  source.sink = (chunk, messages) => {
    if (settled) return;
    bytes += chunk.length - HEADER_BYTES * messages;
    if (!out) {
      pending.push(chunk);
      pause();
      return;
    }
    write(chunk);
    onProgress?.(bytes);
  };

  return {
    push(row) {
      if (row !== null) {
        // Thrown inside postgres.js's message handler, which fails the query with it.
        throw new Error("COPY passthrough: a CopyData message reached postgres.js (the source socket was not diverted)");
      }
      if (settled) return true;
      ended = true;
      if (writer) end();
      return false;
    },

    abandon() {
      settled = true;
      source.sink = null;
      pending.length = 0;
      resume();
    },

    run(reader: Readable, into: Writable, watch: readonly Promise<unknown>[]) {
      return new Promise<number>((resolve, reject) => {
        const socket = target.socket;
        const onDrain = () => resume();
        let detach = () => {};
        settle = (error) => {
          if (settled) return;
          settled = true;
          source.sink = null;
          socket?.off("drain", onDrain);
          detach();
          if (error === null) resolve(bytes);
          else {
            resume();
            reject(error);
          }
        };
        detach = onCopyFailure(reader, into, watch, settle);
        if (!socket) return settle(new Error("COPY passthrough: the target connection has no socket"));
        socket.on("drain", onDrain);
        out = socket;
        writer = into;
        for (const chunk of pending.splice(0)) write(chunk);
        onProgress?.(bytes);
        if (ended) end();
        else if (out.writableLength <= QUEUED_BYTES) resume();
      });
    },
  };
}
