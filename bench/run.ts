/**
 * `npm run bench -- <name> [options]`: dispatches on the first positional argument to bench/<name>/run.ts,
 * whose `main(argv)` returns the exit code.
 */
export {};

const BENCHES: Record<string, () => Promise<{ main(argv: string[]): Promise<number> }>> = {
  // cdc: the CDC benchmark (bench/cdc/run.ts).
  cdc: () => import("./cdc/run"),
};

const [bench, ...rest] = process.argv.slice(2);
const load = bench ? BENCHES[bench] : undefined;
if (!load) {
  console.error(`usage: npm run bench -- <${Object.keys(BENCHES).join("|")}> [options]`);
  process.exitCode = 2;
} else {
  process.exitCode = await (await load()).main(rest);
}
