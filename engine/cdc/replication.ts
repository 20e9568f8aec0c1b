import postgres from "postgres";
import type { Duplex } from "node:stream";
import { quoteIdent } from "../ddl/quote";
import { SESSION_PARAMETERS } from "../plan/session";
import type { Lsn } from "./lsn";

/**
 * The streaming replication protocol over one walsender connection (`replication=database`), with
 * postgres.js 3.4.9 carrying the CopyBoth stream. The server decodes each WAL record once and pushes
 * pgoutput messages as it goes; the slot's confirmed position moves only when this side reports a flush
 * position (`acknowledge`), which the caller does after the target COMMIT that made the changes durable.
 *
 * Frames (CopyData payloads): 'w' XLogData = dataStart(8) walEnd(8) sendTime(8) message; 'k' keepalive =
 * walEnd(8) sendTime(8) replyRequested(1). Standby status update sent back: 'r' write(8) flush(8)
 * apply(8) clientTime(8) replyRequested(1).
 *
 * Hazard: the session's GUCs decide the text pgoutput renders values in (DateStyle, TimeZone,
 * extra_float_digits, bytea_output), so the connection starts with plan/session.ts's settings.
 */

export type ReplicationFrame =
  | { kind: "data"; walStart: Lsn; walEnd: Lsn; message: Uint8Array }
  | { kind: "keepalive"; walEnd: Lsn; replyRequested: boolean };

export interface ReplicationOptions {
  url: string;
  slot: string;
  publication: string;
  /** Called for every frame, in order, synchronously as it arrives. */
  onFrame(frame: ReplicationFrame): void;
}

export interface ReplicationStream {
  /** Stops reading the socket (TCP backpressure reaches the walsender) until resume(). */
  pause(): void;
  resume(): void;
  /**
   * Reports `flushed` as written, flushed and applied: the server may forget everything before it. Never
   * report a position whose changes are not durable on the target.
   */
  acknowledge(flushed: Lsn): void;
  /** Asks the server for a keepalive at once (a status update with replyRequested): proof of life. */
  ping(): void;
  /** Settles when the stream ends: rejects with the cause, or resolves after close(). */
  ended: Promise<void>;
  close(): Promise<void>;
}

const PG_EPOCH_MS = 946_684_800_000n;

/** Opens the walsender connection and starts streaming from the slot's confirmed position. */
export async function startReplication(options: ReplicationOptions): Promise<ReplicationStream> {
  const sql = postgres(options.url, {
    max: 1,
    prepare: false,
    fetch_types: false,
    idle_timeout: 0,
    max_lifetime: null,
    connect_timeout: 30,
    onnotice: () => {},
    connection: { ...SESSION_PARAMETERS, application_name: "dtaas-cdc", replication: "database" },
  });
  // publication_names is parsed as a list of identifiers: quote it like one, inside the literal. Protocol
  // 1: a transaction arrives whole at its commit (the server spills large ones to disk meanwhile).
  const publications = quoteIdent(options.publication).replace(/'/g, "''");
  const command = `START_REPLICATION SLOT ${quoteIdent(options.slot)} LOGICAL 0/0 (proto_version '1', publication_names '${publications}')`;
  const query = sql.unsafe(command);
  let closing = false;
  let settle!: [() => void, (e: unknown) => void];
  const ended = new Promise<void>((resolve, reject) => (settle = [resolve, reject]));
  ended.catch(() => {});
  // The query promise rejects when the connection dies; its error is the stream's, reported via `ended`.
  query.catch((e: unknown) => (closing ? settle[0]() : settle[1](e)));
  let stream: Duplex;
  try {
    stream = (await query.writable()) as unknown as Duplex;
  } catch (err) {
    await sql.end({ timeout: 0 });
    throw err;
  }
  let lastFlushed = 0n;
  const reply = (flushed: Lsn, replyRequested = false) => {
    lastFlushed = flushed > lastFlushed ? flushed : lastFlushed;
    const frame = Buffer.alloc(34);
    frame[0] = 0x72; // 'r'
    frame.writeBigUInt64BE(lastFlushed, 1);
    frame.writeBigUInt64BE(lastFlushed, 9);
    frame.writeBigUInt64BE(lastFlushed, 17);
    frame.writeBigInt64BE((BigInt(Date.now()) - PG_EPOCH_MS) * 1000n, 25);
    frame[33] = replyRequested ? 1 : 0;
    stream.write(frame);
  };
  stream.on("data", (x: Buffer) => {
    if (x[0] === 0x77) {
      // A plain view, not a Buffer slice: the decoder slices it once per column (see decode.ts Bytes).
      const message = new Uint8Array(x.buffer, x.byteOffset + 25, x.length - 25);
      options.onFrame({ kind: "data", walStart: x.readBigUInt64BE(1), walEnd: x.readBigUInt64BE(9), message });
    } else if (x[0] === 0x6b) {
      const replyRequested = x[17] === 1;
      options.onFrame({ kind: "keepalive", walEnd: x.readBigUInt64BE(1), replyRequested });
      // The server ends the connection after wal_sender_timeout without an answer.
      if (replyRequested) reply(lastFlushed);
    }
  });
  stream.on("error", (e: unknown) => (closing ? settle[0]() : settle[1](e)));
  stream.on("close", () => (closing ? settle[0]() : settle[1](new Error("the replication stream closed"))));
  return {
    pause: () => void stream.pause(),
    resume: () => void stream.resume(),
    acknowledge: (flushed) => {
      if (!stream.destroyed) reply(flushed);
    },
    ping: () => {
      if (!stream.destroyed) reply(lastFlushed, true);
    },
    ended,
    async close() {
      closing = true;
      settle[0]();
      await sql.end({ timeout: 0 });
    },
  };
}
