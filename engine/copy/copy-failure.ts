import type { Readable, Writable } from "node:stream";

/**
 * Calls `fail` with the first error or early close of either COPY stream, or the rejection of a watched
 * statement completion (postgres.js reports an error the server sends mid-COPY only through the statement,
 * never on the stream). Returns the function that detaches the stream listeners again.
 */
export function onCopyFailure(reader: Readable, writer: Writable, watch: readonly Promise<unknown>[], fail: (error: unknown) => void): () => void {
  const onError = (error: unknown) => fail(error ?? new Error("COPY failed"));
  const onClose = () => fail(writer.errored ?? reader.errored ?? new Error("COPY stream closed before the copy ended"));
  writer.on("error", onError).on("close", onClose);
  reader.on("error", onError).on("close", onClose);
  for (const p of watch) p.catch(onError);
  return () => {
    writer.off("error", onError).off("close", onClose);
    reader.off("error", onError).off("close", onClose);
  };
}
