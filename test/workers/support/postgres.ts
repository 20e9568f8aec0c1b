import { env } from "cloudflare:test";
import postgres from "postgres";

/** A superuser postgres.js client on the test server (database `db`), one connection. */
export function adminSql(database = "postgres") {
  const url = new URL(env.TEST_PG_URL);
  url.pathname = `/${database}`;
  return postgres(url.toString(), { max: 1, onnotice: () => {} });
}

export function pgUrlFor(database: string, user?: { name: string; password: string }) {
  const url = new URL(env.TEST_PG_URL);
  url.pathname = `/${database}`;
  if (user) {
    url.username = user.name;
    url.password = user.password;
  }
  return url.toString();
}

/** Creates a uniquely named database and runs `setup` in it. */
export async function createDatabase(prefix: string, setup?: (sql: postgres.Sql) => Promise<unknown>) {
  const name = `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = adminSql();
  await admin.unsafe(`create database "${name}"`);
  if (setup) {
    const sql = adminSql(name);
    await setup(sql);
  }
  return name;
}
