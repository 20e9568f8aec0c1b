import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPostgres } from "../../scripts/lib/embedded-postgres";
import { freePort } from "../../scripts/lib/ports";

export interface TestPostgres {
  url: string;
  urlFor(database: string): string;
  stop(): Promise<void>;
}

/**
 * The PostgreSQL the tests use: `DTAAS_TEST_PG_URL` (a superuser URL) when given, else a fresh embedded
 * server in a temporary directory, thrown away afterwards.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const given = process.env.DTAAS_TEST_PG_URL;
  if (given) {
    const base = new URL(given);
    return {
      url: given,
      urlFor: (db) => Object.assign(new URL(base), { pathname: `/${db}` }).toString(),
      stop: async () => {},
    };
  }
  const root = mkdtempSync(join(tmpdir(), "dtaas-test-pg-"));
  const server = await startPostgres({ dir: join(root, "data"), port: await freePort() });
  return {
    url: server.url,
    urlFor: server.urlFor,
    stop: async () => {
      await server.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
