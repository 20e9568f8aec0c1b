import postgres from "postgres";
import { randomBytes } from "node:crypto";

export interface TestDatabases {
  source: postgres.Sql;
  target: postgres.Sql;
  sourceUrl: string;
  targetUrl: string;
  /** Closes the clients and drops both databases. */
  drop(): Promise<void>;
}

export function connect(url: string, max = 4): postgres.Sql {
  return postgres(url, { max, onnotice: () => {}, idle_timeout: 5 });
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** A source and a target database with a random suffix, on the test server (superuser `pgUrl`). */
export async function createTestDatabases(pgUrl: string, label: string): Promise<TestDatabases> {
  const suffix = randomBytes(4).toString("hex");
  const names = [`${label}_src_${suffix}`, `${label}_dst_${suffix}`];
  const admin = connect(pgUrl, 1);
  for (const name of names) await admin.unsafe(`CREATE DATABASE "${name}"`);
  await admin.end();
  const [sourceUrl, targetUrl] = names.map((n) => withDatabase(pgUrl, n)) as [string, string];
  const source = connect(sourceUrl);
  const target = connect(targetUrl);
  return {
    source,
    target,
    sourceUrl,
    targetUrl,
    async drop() {
      await Promise.all([source.end({ timeout: 5 }), target.end({ timeout: 5 })]);
      const again = connect(pgUrl, 1);
      for (const name of names) await again.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await again.end();
    },
  };
}
