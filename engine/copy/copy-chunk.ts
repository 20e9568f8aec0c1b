import type postgres from "postgres";
import type { Readable, Writable } from "node:stream";
import type { TableInfo, TableRef } from "../catalog/types";
import { AppError } from "../errors/app-error";
import type { RowFilter } from "../task-config";
import { qualify, quoteIdent } from "../ddl/quote";
import type { Chunk } from "../plan/chunk";
import { chunkCondition } from "../plan/chunk-condition";
import { applySessionSettings } from "../plan/session";
import { literalBinder, paramBinder } from "../plan/sql-binder";
import { coalesce } from "./coalesce";
import { copyFormatFor } from "./copy-format";
import { copyIn, copyOut, type CopyHandle } from "./copy-stream";

export interface CopyChunkInput {
  source: postgres.Sql;
  target: postgres.Sql;
  table: TableInfo;
  targetRef: TableRef;
  chunk: Chunk;
  /** Row filters with variables already substituted. */
  filter?: readonly RowFilter[];
}

export interface CopyChunkResult {
  /** Rows stored, from the target's `COPY n` command tag. */
  rows: number;
  /** Bytes of COPY data streamed from source to target. */
  bytes: number;
}

/**
 * Copies one chunk. Idempotency contract: everything happens in ONE target transaction that first removes
 * what this chunk owns on the target (the rows in its key range matching the filter; TRUNCATE for a
 * whole-table chunk without filter), then streams the source rows in. A retry after a crash at any point
 * therefore leaves exactly one copy of each row: an uncommitted attempt left nothing, a committed one is
 * deleted and redone. Consequence for `append` mode: target rows inside a chunk's key range are replaced
 * by the source's, and a table without primary key is replaced whole.
 *
 * Memory is flat: the source COPY is read with backpressure down to its socket and written in ~256 KiB
 * pieces that wait for the target socket to drain.
 */
export async function copyChunk(input: CopyChunkInput): Promise<CopyChunkResult> {
  const { source, target, table, targetRef, chunk, filter } = input;
  const format = copyFormatFor(table);
  const columns = [...table.columns].sort((a, b) => a.position - b.position).map((c) => quoteIdent(c.name));
  const options = format === "binary" ? " (FORMAT binary)" : "";
  const selectWhere = chunkCondition(table, chunk, filter, literalBinder);
  const copyOutSql = `COPY (SELECT ${columns.join(", ")} FROM ${qualify(table)} WHERE ${selectWhere}) TO STDOUT${options}`;
  const copyInSql = `COPY ${qualify(targetRef)} (${columns.join(", ")}) FROM STDIN${options}`;

  return target.begin(async (ttx) => {
    await applySessionSettings(ttx);
    if (chunk.wholeTable && !filter?.length) {
      await ttx.unsafe(`TRUNCATE ${qualify(targetRef)}`);
    } else {
      const bind = paramBinder();
      const where = chunkCondition(table, chunk, filter, bind);
      await ttx.unsafe(`DELETE FROM ${qualify(targetRef)} WHERE ${where}`, bind.params);
    }
    return source.begin("read only", async (stx) => {
      await applySessionSettings(stx);
      const out = copyOut(stx, copyOutSql);
      const into = copyIn(ttx, copyInSql);
      const bytes = await stream(out, into);
      const [sent, stored] = await Promise.all([out.done, into.done]);
      if (sent !== stored) {
        throw new AppError("COPY_ROW_COUNT_MISMATCH", `chunk ${chunk.index} of ${table.schema}.${table.name}: source sent ${sent} rows, target stored ${stored}`);
      }
      return { rows: stored, bytes };
    });
  });
}

/** Pumps source COPY data into the target COPY; on any failure stops both sides before rethrowing. */
async function stream(out: CopyHandle<Readable>, into: CopyHandle<Writable>): Promise<number> {
  let bytes = 0;
  try {
    const [reader, writer] = await Promise.all([out.stream, into.stream]);
    const pieces = reader.iterator({ destroyOnReturn: false }) as AsyncIterable<Uint8Array>;
    for await (const piece of coalesce(counted(pieces, (n) => (bytes += n)))) {
      if (!writer.write(piece)) await drained(writer);
    }
    writer.end();
    return bytes;
  } catch (error) {
    await abandon(out, into, error);
    throw error;
  }
}

async function* counted(source: AsyncIterable<Uint8Array>, add: (n: number) => void): AsyncGenerator<Uint8Array> {
  for await (const piece of source) {
    add(piece.length);
    yield piece;
  }
}

function drained(writer: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      writer.off("drain", onDrain).off("error", onError).off("close", onClose);
    };
    const onDrain = () => (cleanup(), resolve());
    const onError = (e: unknown) => (cleanup(), reject(e));
    const onClose = () => (cleanup(), reject(new Error("target COPY stream closed")));
    writer.on("drain", onDrain).on("error", onError).on("close", onClose);
  });
}

/**
 * Brings both connections out of COPY mode so their transactions can roll back: the target COPY is
 * failed (CopyFail), the source COPY is cancelled and its remaining data drained (postgres.js pauses
 * the socket of an unread COPY stream, which would otherwise hang the connection forever).
 */
async function abandon(out: CopyHandle<Readable>, into: CopyHandle<Writable>, error: unknown): Promise<void> {
  const [reader, writer] = await Promise.all([out.stream.catch(() => undefined), into.stream.catch(() => undefined)]);
  if (writer && !writer.destroyed) writer.destroy(error instanceof Error ? error : new Error(String(error)));
  const stopSource = reader && !reader.readableEnded ? out.cancel() : Promise.resolve();
  reader?.resume();
  // Both settle once their connection is idle again; their outcome is the error already being thrown.
  await Promise.allSettled([stopSource, out.done, into.done]);
}
