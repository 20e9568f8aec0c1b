/**
 * `npm run bench -- <name> [options]`: dispatches on the first positional argument to bench/<name>/run.ts,
 * whose `main(argv)` returns the exit code. Without a name (no argument, or options first) it runs `full`.
 */
export {};

const BENCHES: Record<string, () => Promise<{ main(argv: string[]): Promise<number> }>> = {
  // cdc: the CDC benchmark (bench/cdc/run.ts).
  cdc: () => import("./cdc/run"),
  // full: the full-load benchmark (bench/full/run.ts), the default.
  full: () => import("./full/run"),
  // tables: a full load of many small tables (bench/tables/run.ts).
  tables: () => import("./tables/run"),
};

const argv = process.argv.slice(2);
const [bench, ...rest] = argv[0] === undefined || argv[0].startsWith("-") ? ["full", ...argv] : argv;
const load = bench ? BENCHES[bench] : undefined;
if (!load) {
  console.error(`usage: npm run bench -- <${Object.keys(BENCHES).join("|")}> [options]`);
  process.exitCode = 2;
} else {
  process.exitCode = await (await load()).main(rest);
}
