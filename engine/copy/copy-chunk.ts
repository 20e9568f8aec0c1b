import type { Readable } from "node:stream";
import type { TableInfo, TableRef } from "../catalog/types";
import type { ChunkChecksum } from "../checksum/checksum-chunk";
import { AppError } from "../errors/app-error";
import type { RowFilter } from "../task-config";
import { qualify, quoteIdent, quoteLiteral } from "../ddl/quote";
import type { Chunk } from "../plan/chunk";
import { chunkCondition } from "../plan/chunk-condition";
import { literalBinder } from "../plan/sql-binder";
import { copyFormatFor } from "./copy-format";
import { copyIn, copyOut, type CopyHandle } from "./copy-stream";
import { createPump, type CopyPump } from "./copy-pump";
import type { DedicatedCache } from "./dedicated-cache";
import { openDedicated, releaseDedicated } from "./dedicated-connection";
import { beginSourceSnapshot, checksumAtSnapshot } from "./source-snapshot";
import type { CopySnapshot } from "../cdc/copy-snapshot";

export interface CopyChunkInput {
  /** postgres:// URLs: the copy opens its own connection to each side (see dedicated-connection.ts). */
  source: string;
  target: string;
  table: TableInfo;
  targetRef: TableRef;
  chunk: Chunk;
  /** Row filters with variables already substituted. */
  filter?: readonly RowFilter[];
  /**
   * Clear the chunk's range on the target first (default). Only a first attempt into a table this run
   * just created or emptied may skip it: the range is empty, and on a table without its primary key yet
   * the DELETE would scan everything copied so far.
   */
  cleanRange?: boolean;
  /**
   * Serializes attempts of the same chunk through a transaction-level advisory lock on the target: a
   * retry dispatched while a presumed-dead attempt still runs waits for it, then deletes its rows.
   */
  lockKey?: string;
  /** Called as COPY data streams, with the bytes moved so far. */
  onProgress?: (bytes: number) => void;
  /** Checksum the chunk's rows on the source, at the COPY's own snapshot (see `copyChunk`). */
  validate?: boolean;
  /**
   * Return what the COPY saw of the source (`snapshot`): change capture replaying changes after the
   * load skips the transactions this copy already holds. The source must be a primary (it reads the
   * WAL insert position).
   */
  recordSnapshot?: boolean;
  /** Idle connections to take from and give back to; without it each chunk opens and closes its own. */
  connections?: DedicatedCache;
}

export interface CopyChunkResult {
  /** Rows the COPY stored, from the target's `COPY n` command tag. */
  rows: number;
  /** Bytes of COPY data streamed from source to target. */
  bytes: number;
  /** With `validate`: the checksum of the rows the COPY read, for finishTable to compare with the target's. */
  checksum: ChunkChecksum | null;
  /** With `recordSnapshot`: what the COPY saw of the source. */
  snapshot: CopySnapshot | null;
}

/** The smallest source table (pg_table_size) loaded with TRUNCATE + COPY FREEZE; see emptyFirst. */
export const FREEZE_MIN_BYTES = 8 * 1024 * 1024;

/**
 * Copies one chunk. Idempotency contract: everything happens in ONE target transaction that first removes
 * what this chunk owns on the target (the rows in its key range matching the filter; TRUNCATE for a
 * whole-table chunk without filter), then streams the source rows in. A retry after a crash at any point
 * therefore leaves exactly one copy of each row: an uncommitted attempt left nothing, a committed one is
 * deleted and redone. Consequence for `append` mode: target rows inside a chunk's key range are replaced
 * by the source's, and a table without primary key is replaced whole. After any failure both connections
 * are destroyed, never reused, so nothing half-done can be committed later.
 *
 * Memory is flat: the source COPY is read with backpressure down to its socket. Over plain TCP its CopyData
 * bytes are forwarded to the target socket as they arrive (copy-passthrough.ts); otherwise (TLS) rows are
 * gathered into ~256 KiB writes (copy-pump.ts). Either way the source pauses while the target has not drained.
 *
 * With `validate`, the source COPY runs in a REPEATABLE READ transaction whose snapshot is exported; a third
 * connection checksums the source rows in that snapshot while the COPY streams, so both read the same rows
 * even while the source is written. The target side is checksummed once the whole table is copied, by
 * finishTable, in one scan for all chunks and beside the primary key build (per chunk here, the scan of a
 * table without its key yet would read every chunk copied so far). With `recordSnapshot` the source COPY
 * runs in such a transaction too, and the result says what it saw (engine/cdc/copy-snapshot.ts).
 */
export async function copyChunk(input: CopyChunkInput): Promise<CopyChunkResult> {
  const { source, table, targetRef, chunk, filter } = input;
  const where = chunkCondition(table, chunk, filter, literalBinder);
  const truncate = `TRUNCATE ${qualify(targetRef)}`;
  const clear = chunk.wholeTable && !filter?.length ? truncate : `DELETE FROM ${qualify(targetRef)} WHERE ${where}`;
  // A first attempt at the only chunk of a table prepare just created or emptied: truncating it in the
  // chunk's transaction (it is empty) lets COPY FREEZE store the rows frozen, so the primary key build
  // and ANALYZE after the load need not set hint bits on every row (2M rows: ~0.1 s less). Only for a
  // table big enough to repay the TRUNCATE (a new file: ~6 ms here, the hint bits of ~100k rows). Not
  // into a partitioned target, which refuses FREEZE: the transaction's first message asks.
  const emptyFirst =
    input.cleanRange === false && chunk.lo === null && chunk.hi === null && !filter?.length && table.sizeBytes >= FREEZE_MIN_BYTES;
  const format = copyFormatFor(table) === "binary" ? ["FORMAT binary"] : [];
  const options = (list: string[]) => (list.length ? ` (${list.join(", ")})` : "");

  const lock = input.lockKey ? `SELECT pg_advisory_xact_lock(hashtextextended(${quoteLiteral(input.lockKey)}, 0));\n` : "";
  // What the COPY depends on in the target table itself: whether it is partitioned, and which of its
  // columns it generates (those are left out of the copy; the target computes them).
  // json, not text[]: dedicated connections skip postgres.js's array type fetch (dedicated-connection.ts).
  const layout = `SELECT c.relkind = 'p' AS partitioned,
      (SELECT coalesce(json_agg(a.attname::text), '[]') FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated <> '') AS generated
    FROM pg_class c WHERE c.oid = ${quoteLiteral(qualify(targetRef))}::regclass`;
  const begin = `BEGIN;\n${lock}${emptyFirst ? `${truncate};\n` : input.cleanRange === false ? "" : `${clear};\n`}${layout}`;
  const open = (url: string) => input.connections?.take(url) ?? openDedicated(url);
  const src = open(source);
  const dst = open(input.target);
  // With validation, a third connection checksums the source rows in the COPY's snapshot (source-snapshot.ts).
  const checker = input.validate ? open(source) : null;
  // The source COPY runs in a transaction of its own only when its snapshot is shared or recorded.
  const sourceTxn = input.validate === true || input.recordSnapshot === true;
  let failed = true;
  let out: CopyHandle<Readable> | undefined;
  let pump: CopyPump | undefined;
  let sourceSum: Promise<ChunkChecksum> | undefined;
  try {
    // All connect at once (the checker's first statement only connects it, outside any transaction).
    // Without validation or a recorded snapshot the source needs no transaction: one COPY statement
    // reads one snapshot. The target's is one simple-protocol message: the transaction is open and the
    // range cleared before any data moves.
    const [snapshot, results] = await Promise.all([
      sourceTxn ? beginSourceSnapshot(src, { export: checker !== null, record: input.recordSnapshot === true }) : null,
      dst.unsafe(begin),
      checker?.unsafe("SELECT 1"),
    ]);
    const opened = results as unknown as { partitioned: boolean; generated: string[] }[][];
    if (snapshot?.exported) {
      sourceSum = checksumAtSnapshot(checker!, snapshot.exported, table, chunk, filter);
      // Marks the rejection handled for a copy that fails first; the finally block waits for it to settle.
      sourceSum.catch(() => {});
    }
    const target = opened[opened.length - 1]?.[0];
    if (!target) throw new AppError("TABLE_MISSING", `The target table ${targetRef.schema}.${targetRef.name} does not exist.`, { status: 400 });
    const freeze = emptyFirst && !target.partitioned;
    const generated = new Set(target.generated);
    const columns = [...table.columns].sort((a, b) => a.position - b.position).filter((c) => !generated.has(c.name)).map((c) => quoteIdent(c.name));
    const copyOutSql = `COPY (SELECT ${columns.join(", ")} FROM ${qualify(table)} WHERE ${where}) TO STDOUT${options(format)}`;
    const copyInSql = `COPY ${qualify(targetRef)} (${columns.join(", ")}) FROM STDIN${options(freeze ? [...format, "FREEZE"] : format)}`;
    pump = createPump(src, dst, input.onProgress);
    out = copyOut(src, copyOutSql, pump.push);
    const into = copyIn(dst, copyInSql);
    const [reader, writer] = await Promise.all([out.stream, into.stream]);
    const bytes = await pump.run(reader, writer, [out.done, into.done]);
    const [sent, stored] = await Promise.all([out.done, into.done]);
    if (sent !== stored) {
      throw new AppError("COPY_ROW_COUNT_MISMATCH", `chunk ${chunk.index} of ${table.schema}.${table.name}: source sent ${sent} rows, target stored ${stored}`);
    }
    const checksum = sourceSum ? await sourceSum : null;
    await dst.unsafe("COMMIT");
    failed = false;
    return { rows: stored, bytes, checksum, snapshot: snapshot?.copy ?? null };
  } finally {
    pump?.abandon();
    if (failed && out) await stopSource(out);
    // The source snapshot's transaction (on `src`) outlives the checksum's import of it.
    await sourceSum?.catch(() => {});
    // A committed chunk's connections go back to the cache, the source's once its snapshot transaction
    // (validation, recorded snapshot) is rolled back. Else: after a commit nothing waits on the sessions'
    // ends; after a failure they are destroyed before returning.
    const cache = failed ? undefined : input.connections;
    if (cache && sourceTxn) await src.unsafe("ROLLBACK").catch(() => (failed = true));
    if (cache && !failed) {
      cache.give(input.target, dst);
      for (const sql of checker ? [src, checker] : [src]) cache.give(source, sql);
    } else {
      await Promise.all([src, dst, checker].map((sql) => sql && releaseDedicated(sql, failed)));
    }
  }
}

const CANCEL_WAIT_MS = 5000;

/**
 * Stops a source COPY that will not be read to the end. Closing the client alone is not enough: postgres.js
 * closes with a FIN while the socket may be paused by backpressure, and the server backend would stay
 * blocked writing COPY data nobody reads, holding its snapshot. So: drain in flowing mode (the socket
 * resumes and data is discarded) and cancel the statement, waiting a bounded time.
 */
async function stopSource(out: CopyHandle<Readable>): Promise<void> {
  const reader = await out.stream.catch(() => undefined);
  if (!reader || reader.readableEnded) return;
  reader.resume();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    // Best effort: a cancel that fails changes nothing, the connection is destroyed right after.
    out.cancel().catch(() => {}),
    new Promise((resolve) => (timer = setTimeout(resolve, CANCEL_WAIT_MS))),
  ]);
  clearTimeout(timer);
}
