import type postgres from "postgres";
import type { TableRef } from "../catalog/types";
import { serverError } from "../errors/classify";
import type { SkippedConstraint } from "../copy/finish";
import { qualify, quoteIdent } from "./quote";

/** A table of the run, as the foreign-key step sees it. */
export interface ForeignKeyTable {
  table: TableRef;
  targetRef: TableRef;
  /** Created by this run: only such tables get the source's foreign keys (an existing target keeps its own). */
  created: boolean;
  /** A partitioned table, which cannot take a key NOT VALID: its keys are added validating. */
  partitioned?: boolean;
}

/** A source foreign key, read from pg_constraint. */
export interface ForeignKeyDef {
  name: string;
  table: TableRef;
  columns: string[];
  references: TableRef;
  refColumns: string[];
  /** pg_constraint.confmatchtype: f full, s simple (p partial is not implemented by PostgreSQL). */
  match: string;
  /** pg_constraint.confupdtype / confdeltype: a no action, r restrict, c cascade, n set null, d set default. */
  onUpdate: string;
  onDelete: string;
  /** `ON DELETE SET NULL (cols)` / `SET DEFAULT (cols)` (PostgreSQL 15+); null for all columns. */
  deleteColumns: string[] | null;
  deferrable: boolean;
  deferred: boolean;
  validated: boolean;
}

/** The steps for one foreign key: added NOT VALID (no scan), then validated when the source's is. */
export interface ForeignKeyStep {
  table: TableRef;
  name: string;
  add: string;
  validate: string | null;
}

export interface ForeignKeyPlan {
  steps: ForeignKeyStep[];
  skipped: SkippedConstraint[];
}

export interface ForeignKeysResult {
  /** Foreign keys now on the target (validated, or NOT VALID as on the source). */
  added: number;
  skipped: SkippedConstraint[];
}

const ACTIONS: Readonly<Record<string, string>> = { a: "NO ACTION", r: "RESTRICT", c: "CASCADE", n: "SET NULL", d: "SET DEFAULT" };

/**
 * Foreign keys declared on any of `tables` (inherited copies on partitions excluded: the parent's key
 * recreates them). Columns come in key order, by name. `confdelsetcols` is read through to_jsonb so the
 * statement also runs on servers before PostgreSQL 15, which lack the column. A table dropped since
 * planning is ignored here (its copy fails on its own).
 */
export async function readForeignKeys(source: postgres.Sql, tables: readonly TableRef[]): Promise<ForeignKeyDef[]> {
  if (tables.length === 0) return [];
  const rows = await source.unsafe<
    {
      name: string; schema: string; table: string; columns: string[]; ref_schema: string; ref_table: string; ref_columns: string[];
      match: string; on_update: string; on_delete: string; delete_columns: string[] | null; deferrable: boolean; deferred: boolean; validated: boolean;
    }[]
  >(
    `SELECT c.conname AS name, n.nspname AS schema, r.relname AS "table",
            ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(num, ord)
                    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.num ORDER BY k.ord) AS columns,
            fn.nspname AS ref_schema, f.relname AS ref_table,
            ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(num, ord)
                    JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.num ORDER BY k.ord) AS ref_columns,
            c.confmatchtype::text AS match, c.confupdtype::text AS on_update, c.confdeltype::text AS on_delete,
            CASE WHEN jsonb_typeof(to_jsonb(c) -> 'confdelsetcols') = 'array' THEN
              ARRAY(SELECT a.attname::text FROM jsonb_array_elements_text(to_jsonb(c) -> 'confdelsetcols') WITH ORDINALITY k(num, ord)
                      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.num::int2 ORDER BY k.ord)
            END AS delete_columns,
            c.condeferrable AS deferrable, c.condeferred AS deferred, c.convalidated AS validated
       FROM pg_constraint c
       JOIN pg_class r ON r.oid = c.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace
       JOIN pg_class f ON f.oid = c.confrelid JOIN pg_namespace fn ON fn.oid = f.relnamespace
      WHERE c.contype = 'f' AND c.conparentid = 0
        AND c.conrelid = ANY (ARRAY(SELECT to_regclass(t) FROM unnest($1::text[]) t))
      ORDER BY n.nspname, r.relname, c.conname`,
    [tables.map(qualify)],
  );
  return rows.map((r) => ({
    name: r.name,
    table: { schema: r.schema, name: r.table },
    columns: r.columns,
    references: { schema: r.ref_schema, name: r.ref_table },
    refColumns: r.ref_columns,
    match: r.match,
    onUpdate: r.on_update,
    onDelete: r.on_delete,
    deleteColumns: r.delete_columns,
    deferrable: r.deferrable,
    deferred: r.deferred,
    validated: r.validated,
  }));
}

const refKey = (ref: TableRef) => JSON.stringify([ref.schema, ref.name]);

/**
 * The statements recreating `defs` on the target: for each foreign key of a table this run created, whose
 * referenced table this run also copied, `ADD CONSTRAINT … NOT VALID` naming both tables by their target
 * names, then `VALIDATE CONSTRAINT` unless the source's key is NOT VALID too. A partitioned table refuses
 * NOT VALID keys: there the key is added validating, in one step. A key referencing a table
 * outside the run is skipped with the reason: the target may hold anything, or nothing, under that name.
 */
export function foreignKeyPlan(defs: readonly ForeignKeyDef[], tables: readonly ForeignKeyTable[]): ForeignKeyPlan {
  const byRef = new Map(tables.map((t) => [refKey(t.table), t]));
  const steps: ForeignKeyStep[] = [];
  const skipped: SkippedConstraint[] = [];
  for (const def of defs) {
    const owner = byRef.get(refKey(def.table));
    if (!owner?.created) continue;
    const referenced = byRef.get(refKey(def.references));
    if (!referenced) {
      skipped.push({ constraint: def.name, reason: `references ${def.references.schema}.${def.references.name}, which this task does not copy` });
      continue;
    }
    const columns = (list: readonly string[]) => `(${list.map(quoteIdent).join(", ")})`;
    const onDelete = ACTIONS[def.onDelete]! + (def.deleteColumns ? ` ${columns(def.deleteColumns)}` : "");
    const clauses = [
      `FOREIGN KEY ${columns(def.columns)} REFERENCES ${qualify(referenced.targetRef)} ${columns(def.refColumns)}`,
      def.match === "f" ? "MATCH FULL" : "",
      `ON UPDATE ${ACTIONS[def.onUpdate]!} ON DELETE ${onDelete}`,
      def.deferrable ? (def.deferred ? "DEFERRABLE INITIALLY DEFERRED" : "DEFERRABLE") : "",
      owner.partitioned ? "" : "NOT VALID",
    ].filter(Boolean);
    const table = qualify(owner.targetRef);
    steps.push({
      table: owner.targetRef,
      name: def.name,
      add: `ALTER TABLE ${table} ADD CONSTRAINT ${quoteIdent(def.name)} ${clauses.join(" ")}`,
      validate: def.validated && !owner.partitioned ? `ALTER TABLE ${table} VALIDATE CONSTRAINT ${quoteIdent(def.name)}` : null,
    });
  }
  return { steps, skipped };
}

/** foreignKeyPlan for the source's keys on the tables the run created. */
export async function planForeignKeys(source: postgres.Sql, tables: readonly ForeignKeyTable[]): Promise<ForeignKeyPlan> {
  const created = tables.filter((t) => t.created).map((t) => t.table);
  return foreignKeyPlan(await readForeignKeys(source, created), tables);
}

/** 42830 invalid_foreign_key, 42804 datatype_mismatch, 42703 undefined_column, 42P01 undefined_table: the target cannot take the key. */
const CANNOT_ADD = new Set(["42830", "42804", "42703", "42P01"]);
/** 23503 foreign_key_violation: rows on the target break the key (a row filter left a child without its parent, say). */
const VIOLATED = "23503";

/**
 * Recreates the source's foreign keys among the run's tables on the target, once every table is loaded
 * (one scan per key to validate, instead of a check per copied row, and no load order between tables).
 * All keys are added NOT VALID first, then validated. Safe to repeat: a key already on the target table
 * (by name) is not added again, only validated if it still needs it.
 * Not fatal, reported in `skipped`: a key the target cannot take (no unique key on the referenced columns,
 * types differing), or one the copied rows violate, which then stays NOT VALID (enforced for new rows).
 */
export async function addForeignKeys(source: postgres.Sql, target: postgres.Sql, tables: readonly ForeignKeyTable[]): Promise<ForeignKeysResult> {
  const plan = await planForeignKeys(source, tables);
  const existing = await existingForeignKeys(target, [...new Set(plan.steps.map((s) => qualify(s.table)))]);
  const skipped = [...plan.skipped];
  const added: ForeignKeyStep[] = [];
  for (const step of plan.steps) {
    const state = existing.get(`${qualify(step.table)}\u0000${step.name}`);
    if (state !== undefined) {
      // Added by an earlier attempt: validated already, or still to validate.
      added.push(state ? { ...step, validate: null } : step);
      continue;
    }
    try {
      await target.unsafe(step.add);
      added.push(step);
    } catch (err) {
      const server = serverError(err);
      // Violated while added validating (a partitioned table): not there at all, unlike a NOT VALID key.
      if (server?.sqlstate === VIOLATED) skipped.push({ constraint: step.name, reason: `not added: ${server.message}` });
      else if (CANNOT_ADD.has(server?.sqlstate ?? "")) skipped.push({ constraint: step.name, reason: server!.message });
      else throw err;
    }
  }
  for (const step of added.filter((s) => s.validate)) {
    try {
      await target.unsafe(step.validate!);
    } catch (err) {
      const server = serverError(err);
      if (server?.sqlstate !== VIOLATED) throw err;
      skipped.push({ constraint: step.name, reason: `left NOT VALID (enforced for new rows only): ${server.message}` });
    }
  }
  return { added: added.length, skipped };
}

/** Foreign keys on the given target tables: `"schema"."table"\0name` → validated. */
async function existingForeignKeys(target: postgres.Sql, tables: readonly string[]): Promise<Map<string, boolean>> {
  if (tables.length === 0) return new Map();
  const rows = await target.unsafe<{ schema: string; table: string; name: string; validated: boolean }[]>(
    `SELECT n.nspname AS schema, r.relname AS "table", c.conname AS name, c.convalidated AS validated
       FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace
      WHERE c.contype = 'f' AND c.conrelid = ANY (ARRAY(SELECT to_regclass(t) FROM unnest($1::text[]) t))`,
    [tables],
  );
  return new Map(rows.map((r) => [`${qualify({ schema: r.schema, name: r.table })}\u0000${r.name}`, r.validated]));
}
