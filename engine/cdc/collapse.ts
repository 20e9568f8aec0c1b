import { AppError } from "../errors/app-error";
import { UNCHANGED_TOAST, type ColumnValue } from "./decode";
import type { Change } from "./read";

/**
 * The net effect of a run of row changes on one keyed table: one operation per primary key, later
 * changes folded into earlier ones, so a batch is applied with a few multi-row statements. Pure.
 *
 * Invariant that makes the folding correct: after `add`, each key maps to exactly one operation whose
 * result equals applying that key's changes in order, whatever state the target row was in before
 * (idempotent: replaying a batch over its own result changes nothing). Keys are independent, so the
 * statements of a flush may run in any order. That holds for the primary key only: a secondary UNIQUE
 * constraint on the target could see a transient duplicate between two keys (see docs/cdc.md).
 */

export type RowValue = string | null;

export type NetOp =
  /** Insert the full row, or overwrite every column of an existing row with the same key. */
  | { kind: "upsert"; values: RowValue[] }
  /** Set the columns that are not UNCHANGED_TOAST on the row with the key in `values`; nothing if it is missing. */
  | { kind: "update"; values: ColumnValue[] }
  /** Delete the row with `key`; nothing if it is missing. */
  | { kind: "delete"; key: RowValue[] };

/** Positions (in the relation's column order) of the target's primary key columns, in key order. */
export type KeyPositions = readonly number[];

export class TableBatch {
  private readonly ops = new Map<string, NetOp>();

  constructor(private readonly keys: KeyPositions) {}

  get size(): number {
    return this.ops.size;
  }

  /**
   * Folds `change` in. Returns false when it cannot be folded (an update with unchanged TOAST columns that
   * also changes the key, or one that follows a delete of the same key): the caller then flushes this
   * batch and applies the change by itself. Rows are kept as the change's own arrays, never modified.
   */
  add(change: Exclude<Change, { kind: "truncate" }>): boolean {
    switch (change.kind) {
      case "insert":
        this.ops.set(this.keyText(change.new), { kind: "upsert", values: complete(change.new) });
        return true;
      case "delete": {
        const key = oldKey(change.old.values, this.keys);
        this.ops.set(keyText(key), { kind: "delete", key });
        return true;
      }
      case "update": {
        const newText = this.keyText(change.new);
        const before = change.old ? oldKey(change.old.values, this.keys) : null;
        const oldText = before ? keyText(before) : newText;
        if (!change.new.includes(UNCHANGED_TOAST)) {
          // Every column is known: the row is simply the new one, wherever the old key pointed.
          if (oldText !== newText) this.ops.set(oldText, { kind: "delete", key: before! });
          this.ops.set(newText, { kind: "upsert", values: complete(change.new) });
          return true;
        }
        if (oldText !== newText) return false;
        const prev = this.ops.get(newText);
        if (prev?.kind === "delete") return false;
        if (prev?.kind === "upsert") this.ops.set(newText, { kind: "upsert", values: complete(merge(prev.values, change.new)) });
        else if (prev?.kind === "update") this.ops.set(newText, { kind: "update", values: merge(prev.values, change.new) });
        else this.ops.set(newText, { kind: "update", values: change.new });
        return true;
      }
    }
  }

  /** The folded operations, grouped for multi-row statements; the batch is empty afterwards. */
  take(): { deletes: RowValue[][]; upserts: RowValue[][]; updates: ColumnValue[][] } {
    const out = { deletes: [] as RowValue[][], upserts: [] as RowValue[][], updates: [] as ColumnValue[][] };
    for (const op of this.ops.values()) {
      if (op.kind === "delete") out.deletes.push(op.key);
      else if (op.kind === "upsert") out.upserts.push(op.values);
      else out.updates.push(op.values);
    }
    this.ops.clear();
    return out;
  }

  /** The Map key of a row's key columns (the value itself for a one-column key: no allocation). */
  private keyText(values: readonly ColumnValue[]): string {
    const keys = this.keys;
    if (keys.length === 1) return keyPart(text(values[keys[0]!]));
    let out = keyPart(text(values[keys[0]!]));
    for (let i = 1; i < keys.length; i++) out += `\u0000${keyPart(text(values[keys[i]!]))}`;
    return out;
  }
}

/** Later values win; UNCHANGED_TOAST keeps the earlier value. */
function merge(earlier: readonly ColumnValue[], later: readonly ColumnValue[]): ColumnValue[] {
  return later.map((v, i) => (v === UNCHANGED_TOAST ? (earlier[i] ?? UNCHANGED_TOAST) : v));
}

/** The old key: from the old key or old row when sent, which must hold every key column. */
function oldKey(values: readonly ColumnValue[], keys: KeyPositions): RowValue[] {
  const key = keys.map((p) => text(values[p]));
  if (key.some((v) => v === null)) {
    throw new AppError(
      "REPLICA_IDENTITY_MISMATCH",
      "A change's old key lacks a primary key column of the target table: the source's replica identity must include the target's primary key.",
      { status: 400 },
    );
  }
  return key;
}

/** Text form of a value known to be sent (never UNCHANGED_TOAST, never binary: binary mode is not requested). */
export function text(v: ColumnValue | undefined): RowValue {
  if (v === undefined || v === null) return null;
  if (typeof v === "string") return v;
  if (v === UNCHANGED_TOAST) throw new Error("an unchanged TOAST value where a value is required");
  throw new Error("a binary column value (binary pgoutput mode is not supported)");
}

/** The row itself, once every value is checked to be sent text or null (so it can be written as it is). */
function complete(values: readonly ColumnValue[]): RowValue[] {
  for (let i = 0; i < values.length; i++) text(values[i]);
  return values as RowValue[];
}

/** Key values as one Map key; NUL cannot occur in PostgreSQL text, so joining on it is injective. */
function keyText(key: readonly RowValue[]): string {
  let out = keyPart(key[0] ?? null);
  for (let i = 1; i < key.length; i++) out += `\u0000${keyPart(key[i] ?? null)}`;
  return out;
}

function keyPart(v: RowValue): string {
  return v ?? "\u0000null";
}
