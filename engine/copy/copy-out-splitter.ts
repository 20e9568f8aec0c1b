/** Backend message types, the first byte of each message. */
const COPY_OUT_RESPONSE = 0x48; // 'H'
const COPY_DATA = 0x64; // 'd'
/** Messages the backend may send at any time, so also between two CopyData messages. */
const ASYNCHRONOUS = new Set([0x4e /* N: NoticeResponse */, 0x41 /* A: NotificationResponse */, 0x53 /* S: ParameterStatus */]);
const HEADER_BYTES = 5;

/** Receives bytes of whole CopyData messages; `messages` is how many of them start in `bytes` (header included). */
export type CopyDataSink = (bytes: Buffer, messages: number) => void;

/**
 * Splits the byte stream a PostgreSQL backend sends on one connection into what the driver must parse and
 * the CopyData messages of a COPY-out, which are passed on verbatim (a backend CopyData message is
 * byte-identical to a frontend one, so they can be written to a COPY-in connection as they are).
 *
 * Invariants:
 * - `feed` must see every byte the backend sends, from the first, so that it always knows where messages
 *   start; the driver then sees exactly the stream without the diverted CopyData messages, each of which
 *   is whole, so the driver's own framing stays consistent.
 * - Diversion starts after a CopyOutResponse received while `takeSink` returns a sink, and lasts until the
 *   first message that is neither CopyData nor asynchronous (CopyDone, or ErrorResponse): that message and
 *   everything after it goes to the driver again.
 * - A message header (5 bytes) is never split between two sink calls: up to 4 header bytes at the end of a
 *   chunk are carried into the next one. A message body may be split: its bytes go out as they come.
 * - Output order is input order: the driver and the sink are called alternately, run by run.
 */
export class CopyOutSplitter {
  /** Bytes of the current message not yet seen. */
  private remaining = 0;
  /** Where the current message goes: the sink, or the driver (null). */
  private current: CopyDataSink | null = null;
  /** The current message is a CopyOutResponse that starts a diversion once complete. */
  private divertAfter: CopyDataSink | null = null;
  private sink: CopyDataSink | null = null;
  private carry: Buffer | null = null;

  constructor(private readonly takeSink: () => CopyDataSink | null) {}

  /** Routes one socket read; `toDriver` gets the bytes the driver must parse. */
  feed(chunk: Buffer, toDriver: (bytes: Buffer) => void): void {
    const x = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = null;
    let pos = 0;
    let runStart = 0;
    let runSink = this.current;
    let runMessages = 0;
    const flush = (end: number) => {
      if (end > runStart) {
        const bytes = x.subarray(runStart, end);
        if (runSink) runSink(bytes, runMessages);
        else toDriver(bytes);
      }
      runStart = end;
      runMessages = 0;
    };
    if (this.remaining > 0) {
      pos = Math.min(this.remaining, x.length);
      this.remaining -= pos;
      if (this.remaining === 0) this.completed();
    }
    while (pos < x.length) {
      if (x.length - pos < HEADER_BYTES) {
        // Copied: the chunk belongs to the socket's reader and may be reused once this returns.
        this.carry = Buffer.from(x.subarray(pos));
        break;
      }
      const type = x[pos]!;
      const length = x.readUInt32BE(pos + 1) + 1;
      if (this.sink && type !== COPY_DATA && !ASYNCHRONOUS.has(type)) this.sink = null;
      const sink = type === COPY_DATA ? this.sink : null;
      if (sink !== runSink) {
        flush(pos);
        runSink = sink;
      }
      if (sink) runMessages++;
      this.current = sink;
      if (type === COPY_OUT_RESPONSE) this.divertAfter = this.takeSink();
      const available = x.length - pos;
      if (length <= available) {
        pos += length;
        this.completed();
      } else {
        this.remaining = length - available;
        pos = x.length;
      }
    }
    flush(pos);
  }

  private completed(): void {
    if (!this.divertAfter) return;
    this.sink = this.divertAfter;
    this.divertAfter = null;
  }
}
