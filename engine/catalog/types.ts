/** What the catalog knows about one column of a source table. */
export interface ColumnInfo {
  name: string;
  /** 1-based attnum order as on the source. */
  position: number;
  /** `format_type(atttypid, atttypmod)`, e.g. `numeric(12,2)`, `character varying(40)`, `text[]`. */
  dataType: string;
  /** Schema and name of the column's type (for arrays: of the element type). */
  typeSchema: string;
  typeName: string;
  /** pg_type.typtype of the (element) type: b base, e enum, d domain, r range, m multirange, c composite. */
  typeKind: "b" | "e" | "d" | "r" | "m" | "c" | "p";
  isArray: boolean;
  nullable: boolean;
  /** Default expression as SQL text, or null. */
  defaultExpr: string | null;
  /** `s` for a stored generated column, "" otherwise. */
  generated: "" | "s";
  /**
   * A generated column whose expression names only the server's built-in objects: the target computes it
   * (GENERATED … STORED) instead of storing the copied value. Absent: copied as a plain column.
   */
  recompute?: boolean;
  /** `a` GENERATED ALWAYS AS IDENTITY, `d` BY DEFAULT, "" none. */
  identity: "" | "a" | "d";
  /**
   * The column's collation, absent for a type without one. `pg_catalog.default` is the database's default,
   * which may differ between source and target; any other names a collation object (e.g. pg_catalog.C).
   */
  collation?: CollationRef;
  /**
   * The sequence the column owns: an identity column's, or a serial column's (owned by it and named by its
   * `nextval` default). Options as the source's sequence has them.
   */
  sequence?: OwnedSequence;
}

/** A sequence owned by a column; integers as text. */
export interface OwnedSequence {
  schema: string;
  name: string;
  /** smallint, integer or bigint. */
  type: string;
  start: string;
  increment: string;
  min: string;
  max: string;
  cache: string;
  cycle: boolean;
}

/** A collation by schema and name. */
export interface CollationRef {
  schema: string;
  name: string;
}

/** The collation `pg_catalog.default`: whatever the database's default is. */
export function isDefaultCollation(collation: CollationRef): boolean {
  return collation.schema === "pg_catalog" && collation.name === "default";
}

/** What the catalog knows about one table. */
export interface TableInfo {
  schema: string;
  name: string;
  columns: ColumnInfo[];
  /** Primary key column names in key order; empty when the table has none. */
  primaryKey: string[];
  /**
   * A table without primary key: the columns of its smallest unique index over NOT NULL columns that
   * ranges on them can use (plain btree, default operator classes and collations). A full load chunks the
   * table by it as by a key (plan/chunk.ts keyColumns); nothing else treats it as one.
   */
  uniqueKey?: string[];
  /** pg_class.reltuples, or -1 when never analyzed. */
  estimatedRows: number;
  /** pg_total_relation_size. */
  sizeBytes: number;
  /**
   * Every leaf (the table itself, or each partition) has a usable replica identity, so change capture
   * may publish it (engine/cdc/replica-identity.ts). Set by catalog discovery.
   */
  replicaIdentity?: boolean;
  /** A partitioned table's key and partitions; absent for an ordinary table. */
  partitioning?: Partitioning;
}

/** How a partitioned table is split. */
export interface Partitioning {
  /** pg_get_partkeydef, e.g. `RANGE (at)`, `LIST (region)`, `HASH (id)`. */
  key: string;
  /** Its partitions, by name; each may be partitioned again. */
  partitions: Partition[];
}

export interface Partition extends TableRef {
  /** pg_get_expr(relpartbound): `FOR VALUES FROM (…) TO (…)`, `FOR VALUES IN (…)`, `FOR VALUES WITH (…)` or `DEFAULT`. */
  bound: string;
  partitioning?: Partitioning;
}

/** A qualified table name. */
export interface TableRef {
  schema: string;
  name: string;
}

/**
 * An enum or domain, as a DDL stage needs it to recreate the type on a target (read by
 * engine/ddl/user-types.ts readUserTypes).
 */
export type UserType =
  | { kind: "enum"; schema: string; name: string; labels: string[] }
  | {
      kind: "domain";
      schema: string;
      name: string;
      /** Base type as DDL text: `format_type` for built-in types, else schema-qualified and quoted. */
      baseType: string;
      notNull: boolean;
      defaultExpr: string | null;
      /** `CHECK (…)` texts with their constraint names, by name. */
      checks: { name: string; definition: string }[];
    };
