import postgres from "postgres";
import { randomBytes } from "node:crypto";
import { readTableInfo } from "../engine/test-support/table-info";
import { prepareTarget } from "../engine/ddl/prepare-target";
import { copyChunk } from "../engine/copy/copy-chunk";
import { datasets, type DatasetKey } from "./full/datasets";

/**
 * Runner CPU of one whole-table chunk copy: copies a dataset's table between two scratch databases with
 * copyChunk, `runs` times, and prints process.cpuUsage() and wall time per run. The databases are dropped.
 * Usage: node --import tsx bench/copy-chunk-cpu.ts [wide|pgbench] [scale] [runs] [postgres://…/postgres]
 */
const key = (process.argv[2] ?? "wide") as DatasetKey;
const scale = Number(process.argv[3] ?? 20);
const runs = Number(process.argv[4] ?? 3);
const base = process.argv[5] ?? "postgres://postgres@127.0.0.1:5432/postgres";
const dataset = datasets(scale, key)[0]!;
const suffix = randomBytes(3).toString("hex");
const names = [`cpu_src_${suffix}`, `cpu_dst_${suffix}`];
const urlOf = (db: string) => Object.assign(new URL(base), { pathname: `/${db}` }).toString();

const admin = postgres(base, { max: 1, onnotice: () => {} });
for (const n of names) await admin.unsafe(`CREATE DATABASE ${n}`);
const [sourceUrl, targetUrl] = names.map(urlOf) as [string, string];
const source = postgres(sourceUrl, { max: 1, onnotice: () => {} });
const target = postgres(targetUrl, { max: 1, onnotice: () => {} });
try {
  await source.unsafe(dataset.createSql);
  await source.unsafe(dataset.loadSql);
  await source.unsafe(dataset.keySql);
  await source.unsafe(`VACUUM ANALYZE public.${dataset.table}`);
  const ref = { schema: "public", name: dataset.table };
  const table = await readTableInfo(source, ref);
  for (let i = 0; i < runs; i++) {
    await target.unsafe(`DROP TABLE IF EXISTS public.${dataset.table}`);
    await prepareTarget(source, target, [{ table, targetRef: ref }]);
    const cpu = process.cpuUsage();
    const started = performance.now();
    const r = await copyChunk({ source: sourceUrl, target: targetUrl, table, targetRef: ref, chunk: { index: 0, lo: null, hi: null, wholeTable: true } });
    const wall = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    console.log(`${key} run ${i + 1}: ${r.rows} rows, ${(r.bytes / 1e6).toFixed(0)} MB, wall ${wall.toFixed(2)} s, cpu user ${(used.user / 1e6).toFixed(3)} s system ${(used.system / 1e6).toFixed(3)} s`);
  }
} finally {
  await Promise.all([source.end(), target.end()]);
  for (const n of names) await admin.unsafe(`DROP DATABASE IF EXISTS ${n} WITH (FORCE)`);
  await admin.end();
}
