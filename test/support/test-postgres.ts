import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generate } from "selfsigned";
import { startPostgres } from "../../scripts/lib/embedded-postgres";
import { freePort } from "../../scripts/lib/ports";

export interface TestPostgres {
  url: string;
  urlFor(database: string): string;
  stop(): Promise<void>;
}

/**
 * The PostgreSQL the tests use: `DTAAS_TEST_PG_URL` (a superuser URL; the server must accept TLS too) when
 * given, else a fresh embedded server in a temporary directory, thrown away afterwards, accepting plain and
 * TLS connections (a self-signed certificate for localhost and 127.0.0.1).
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
  const server = await startPostgres({ dir: join(root, "data"), port: await freePort(), tls: await selfSignedCertificate() });
  return {
    url: server.url,
    urlFor: server.urlFor,
    stop: async () => {
      await server.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

async function selfSignedCertificate(): Promise<{ cert: string; key: string }> {
  const pems = await generate([{ name: "commonName", value: "localhost" }], {
    keyType: "ec",
    algorithm: "sha256",
    notAfterDate: new Date(Date.now() + 7 * 86_400_000),
    extensions: [{ name: "subjectAltName", altNames: [{ type: 2, value: "localhost" }, { type: 7, ip: "127.0.0.1" }] }],
  });
  return { cert: pems.cert, key: pems.private };
}
