export type Log = (line: string) => void;

const COLORS: Record<string, number> = { start: 1, pg: 34, runner: 35, wrangler: 33, build: 36, seed: 32 };

/** A sink that writes `[component] line`; the prefix is coloured when stdout is a terminal. */
export function componentLog(component: string, stream: NodeJS.WriteStream = process.stdout): Log {
  const color = COLORS[component] ?? 0;
  const prefix = stream.isTTY && !process.env.NO_COLOR ? `\x1b[${color}m[${component}]\x1b[0m` : `[${component}]`;
  return (line) => {
    stream.write(`${prefix} ${line}\n`);
  };
}
