import type postgres from "postgres";
import type { TableRef } from "../catalog/types";
import { qualify } from "./quote";

/** A sequence a column of a table owns (identity or serial) that this user may move. */
export interface MovableSequence {
  column: string;
  /** As `regclass` prints it on this connection: usable as it is in SQL (`FROM …`, `setval('…')`). */
  name: string;
  descending: boolean;
  start: string;
}

/**
 * The sequences the table's columns own, as the table has them (not as its source had them). Only those
 * this user may move: setval needs UPDATE on a sequence; one it may not is left to its owner.
 */
export async function movableSequences(sql: postgres.Sql, ref: TableRef): Promise<MovableSequence[]> {
  return sql.unsafe<MovableSequence[]>(
    `SELECT a.attname::text AS column, s.seqrelid::regclass::text AS name, s.seqincrement < 0 AS descending, s.seqstart::text AS start
       FROM pg_depend d
       JOIN pg_sequence s ON s.seqrelid = d.objid
       JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
      WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
        AND d.refobjid = $1::regclass AND has_sequence_privilege(s.seqrelid, 'UPDATE')
      ORDER BY a.attnum`,
    [qualify(ref)],
  );
}
