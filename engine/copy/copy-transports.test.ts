import net from "node:net";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { TableRef } from "../catalog/types";
import { classifyError } from "../errors/classify";
import { tableDigest } from "../test-support/table-digest";
import { readTableInfo } from "../test-support/table-info";
import { createTestDatabases, type TestDatabases } from "../test-support/test-databases";
import { copyChunk } from "./copy-chunk";
import { closeDedicated, openDedicated, rawPath } from "./dedicated-connection";

const ref = (name: string): TableRef => ({ schema: "public", name });
const whole = { index: 0, lo: null, hi: null, wholeTable: true };
const withMode = (url: string, mode: string) => `${url}${url.includes("?") ? "&" : "?"}sslmode=${mode}`;

/**
 * A server that refuses TLS: answers an SSLRequest with 'N', then relays everything to the real server
 * (as a PostgreSQL built without TLS, or with ssl = off, behaves).
 */
async function plainOnlyProxy(target: URL): Promise<{ url: (u: string) => string; close: () => Promise<void> }> {
  const server = net.createServer((client) => {
    client.once("data", (first) => {
      const upstream = net.connect(Number(target.port), target.hostname);
      const isSslRequest = first.length === 8 && first.readUInt32BE(4) === 80877103;
      if (isSslRequest) client.write("N");
      else upstream.write(first);
      client.pipe(upstream).pipe(client);
      const end = () => (client.destroy(), upstream.destroy());
      client.on("error", end).on("close", end);
      upstream.on("error", end).on("close", end);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: (u) => Object.assign(new URL(u), { port: String(port) }).toString(),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Whether the connection's own backend speaks TLS, as the server sees it. */
async function serverSeesTls(url: string): Promise<boolean> {
  const sql = openDedicated(url);
  try {
    const [row] = await sql<{ ssl: boolean }[]>`SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`;
    expect(rawPath(sql)).not.toBeNull();
    return row!.ssl;
  } finally {
    await closeDedicated(sql, false);
  }
}

describe("COPY over TLS", () => {
  let dbs: TestDatabases;
  let proxy: Awaited<ReturnType<typeof plainOnlyProxy>>;
  beforeAll(async () => {
    dbs = await createTestDatabases(inject("pgUrl"), "tls");
    proxy = await plainOnlyProxy(new URL(dbs.sourceUrl));
    await dbs.source.unsafe(`
      CREATE TABLE items (id int PRIMARY KEY, v text, b bytea);
      INSERT INTO items SELECT g, repeat(md5(g::text), 1 + g % 40), decode(md5(g::text), 'hex') FROM generate_series(1, 100000) g;
      INSERT INTO items SELECT 100000 + g, (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 60000) i), NULL FROM generate_series(1, 3) g;`);
    await dbs.target.unsafe(`CREATE TABLE items (id int PRIMARY KEY, v text, b bytea)`);
  });
  afterAll(async () => {
    await proxy?.close();
    await dbs?.drop();
  });

  it("negotiates TLS as the sslmode says, on a connection whose decrypted bytes it taps", async () => {
    expect(await serverSeesTls(withMode(dbs.sourceUrl, "disable"))).toBe(false);
    expect(await serverSeesTls(withMode(dbs.sourceUrl, "prefer"))).toBe(true);
    expect(await serverSeesTls(withMode(dbs.sourceUrl, "require"))).toBe(true);
    // A server without TLS: prefer falls back to plain text, require refuses.
    expect(await serverSeesTls(withMode(proxy.url(dbs.sourceUrl), "prefer"))).toBe(false);
    const refused = openDedicated(withMode(proxy.url(dbs.sourceUrl), "require"));
    const err = await refused`SELECT 1`.then(() => null, (e: unknown) => e);
    await closeDedicated(refused, true);
    expect(classifyError(err, { subject: "the source database" })).toMatchObject({
      code: "TLS_FAILED",
      retryable: false,
      message: "The TLS connection to the source database failed: the server does not accept TLS connections, which sslmode=require requires. Check the connector's sslmode and the server's certificate.",
    });
  });

  it("refuses a certificate it cannot verify under verify-full, with TLS_FAILED", async () => {
    const strict = openDedicated(withMode(dbs.sourceUrl, "verify-full"));
    const err = await strict`SELECT 1`.then(() => null, (e: unknown) => e);
    await closeDedicated(strict, true);
    expect(classifyError(err)).toMatchObject({ code: "TLS_FAILED", retryable: false, details: { code: "DEPTH_ZERO_SELF_SIGNED_CERT" } });
  });

  it("copies row for row through the pass-through with both sides on TLS", async () => {
    const table = await readTableInfo(dbs.source, ref("items"));
    const result = await copyChunk({
      source: withMode(dbs.sourceUrl, "require"),
      target: withMode(dbs.targetUrl, "require"),
      table,
      targetRef: ref("items"),
      chunk: whole,
      validate: true,
    });
    expect(result.rows).toBe(100_003);
    expect(await tableDigest(dbs.target, ref("items"))).toEqual(await tableDigest(dbs.source, ref("items")));
  });
});

/** A URL naming its host twice: a host list, whose connections postgres.js opens itself (no RawPath). */
function hostList(url: string): string {
  const u = new URL(url);
  return `postgres://${u.username}:${u.password}@${u.host},${u.host}${u.pathname}${u.search}`;
}

describe("COPY through postgres.js's own transport (host lists, Unix sockets)", () => {
  let dbs: TestDatabases;
  beforeAll(async () => {
    dbs = await createTestDatabases(inject("pgUrl"), "pieces");
    await dbs.source.unsafe(`
      CREATE TABLE items (id int PRIMARY KEY, v text);
      INSERT INTO items SELECT g, repeat(md5(g::text), 1 + g % 30) FROM generate_series(1, 200000) g;
      INSERT INTO items SELECT 200000 + g, (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 40000) i) FROM generate_series(1, 3) g;
      CREATE VIEW breaks_late AS SELECT id, CASE WHEN id = 150000 THEN (1 / (id - id))::text ELSE v END AS v FROM items;`);
    await dbs.target.unsafe(`CREATE TABLE items (id int PRIMARY KEY, v text); CREATE TABLE breaks_late (id int PRIMARY KEY, v text);`);
  });
  afterAll(() => dbs?.drop());

  it("gathers rows into pieces: row for row, over TLS too", async () => {
    const source = openDedicated(hostList(dbs.sourceUrl));
    expect(rawPath(source)).toBeNull();
    await closeDedicated(source, false);
    const table = await readTableInfo(dbs.source, ref("items"));
    const result = await copyChunk({ source: hostList(withMode(dbs.sourceUrl, "require")), target: hostList(dbs.targetUrl), table, targetRef: ref("items"), chunk: whole, validate: true });
    expect(result.rows).toBe(200_003);
    expect(result.checksum?.rows).toBe(200_003);
    expect(await tableDigest(dbs.target, ref("items"))).toEqual(await tableDigest(dbs.source, ref("items")));
  });

  it("rejects with the source's error when its COPY fails mid-stream, leaving nothing", async () => {
    const table = { ...(await readTableInfo(dbs.source, ref("items"))), name: "breaks_late" };
    await expect(copyChunk({ source: hostList(dbs.sourceUrl), target: hostList(dbs.targetUrl), table, targetRef: ref("breaks_late"), chunk: whole })).rejects.toMatchObject({ code: "22012" });
    const [count] = await dbs.target.unsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM breaks_late`);
    expect(count!.n).toBe(0);
  });
});
