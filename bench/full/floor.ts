import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type postgres from "postgres";
import { checksumSql } from "../../engine/checksum/checksum-sql";
import { SESSION_PARAMETERS } from "../../engine/plan/session";
import { readTableInfo } from "../../engine/test-support/table-info";
import { runShell, type ShellResult } from "./baselines";
import type { Dataset } from "./datasets";

/**
 * The `floor` reference: DTaaS's own steps for one table run by psql, with no API, queue, coordinator or
 * runner around them — what the work itself costs on this machine, not a tool a user would pick. So
 * DTaaS s / floor s is the orchestration's share, and pipe s / floor s the best ratio the work allows.
 * The steps, as a validated single-chunk load runs them (engine/copy/copy-chunk.ts, finish.ts):
 * 1. TRUNCATE + COPY … FREEZE (binary) into the unkeyed target, the source checksum beside it;
 * 2. the key's unique index (maintenance_work_mem 256 MB) then ANALYZE, the target checksum beside them;
 * 3. the primary key constraint on that index.
 * The run fails unless both checksums agree. The target table exists, without its key, beforehand.
 */
export interface FloorSql {
  settings: string;
  sourceChecksum: string;
  targetChecksum: string;
  index: string;
  constraint: string;
}

export async function floorSql(source: postgres.Sql, d: Dataset): Promise<FloorSql> {
  const ref = { schema: "public", name: d.table };
  const table = await readTableInfo(source, ref, { analyze: false });
  const whole = { index: 0, lo: null, hi: null, wholeTable: false };
  const settings = Object.entries(SESSION_PARAMETERS).map(([k, v]) => `SET ${k} = '${v}';`).join(" ");
  const index = `${d.table}_pkey`;
  return {
    settings,
    sourceChecksum: checksumSql(table, whole, undefined, ref),
    targetChecksum: checksumSql(table, whole, undefined, ref),
    index: `CREATE UNIQUE INDEX ${index} ON public.${d.table} (${d.keyColumn})`,
    constraint: `ALTER TABLE public.${d.table} ADD CONSTRAINT ${index} PRIMARY KEY USING INDEX ${index}`,
  };
}

const PSQL = "psql -X -q -v ON_ERROR_STOP=1";

// Statements reach psql through the environment, never inside the script text.
const SCRIPT = `set -e
( ${PSQL} "$SRC" -c "COPY $TABLE TO STDOUT (FORMAT binary)" | ${PSQL} "$DST" -1 -c "TRUNCATE $TABLE" -c "COPY $TABLE FROM STDIN (FORMAT binary, FREEZE)" ) & load=$!
${PSQL} -At "$SRC" -c "$SETTINGS" -c "$SOURCE_CHECKSUM" > "$WORKDIR/source" & sum=$!
wait $load; wait $sum
${PSQL} "$DST" -c "SET maintenance_work_mem = '256MB'" -c "$INDEX" -c "ANALYZE $TABLE" & key=$!
${PSQL} -At "$DST" -c "$SETTINGS" -c "$TARGET_CHECKSUM" > "$WORKDIR/target" & sum=$!
wait $key; wait $sum
${PSQL} "$DST" -c "$CONSTRAINT"
cmp -s "$WORKDIR/source" "$WORKDIR/target" || { echo "checksums differ: $(cat "$WORKDIR/source") vs $(cat "$WORKDIR/target")" >&2; exit 1; }`;

export async function runFloor(sql: FloorSql, d: Dataset, sourceUrl: string, targetUrl: string): Promise<ShellResult> {
  const workdir = mkdtempSync(join(tmpdir(), "dtaas-bench-floor-"));
  try {
    return await runShell(SCRIPT, {
      SRC: sourceUrl,
      DST: targetUrl,
      WORKDIR: workdir,
      TABLE: `public.${d.table}`,
      SETTINGS: sql.settings,
      SOURCE_CHECKSUM: sql.sourceChecksum,
      TARGET_CHECKSUM: sql.targetChecksum,
      INDEX: sql.index,
      CONSTRAINT: sql.constraint,
    });
  } finally {
    rmSync(workdir, { recursive: true, force: true });
  }
}
