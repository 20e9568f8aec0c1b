import postgres from "postgres";
import { describe, expect, it } from "vitest";
import { cdcNames } from "../../engine/cdc/slot";
import { tableDigest } from "../../engine/test-support/table-digest";
import type { StackClient } from "../support/api-client";
import { useLocalStack } from "../support/stack-fixture";

const fixture = useLocalStack();
const { setup } = fixture;

const TABLES = `
  CREATE TABLE public.accounts (id bigint PRIMARY KEY, owner text NOT NULL, balance numeric(14,2) NOT NULL, note text);
  INSERT INTO public.accounts SELECT g, 'owner ' || g, g % 1000, NULL FROM generate_series(1, 300000) g;
  CREATE TABLE public.counters (region text, id int, n bigint NOT NULL, PRIMARY KEY (region, id));
  INSERT INTO public.counters SELECT r, g, 0 FROM unnest(ARRAY['eu','us']) r, generate_series(1, 50) g;
`;

/** Random writes until stopped: updates, inserts, deletes across both tables, many small transactions. */
function writeLoad(sql: postgres.Sql) {
  let running = true;
  let transactions = 0;
  const worker = async (seed: number) => {
    let next = 1_000_000 + seed * 1_000_000;
    while (running) {
      const id = 1 + Math.floor(Math.random() * 300_000);
      await sql.begin(async (tx) => {
        await tx`UPDATE accounts SET balance = balance + 1, note = ${`w${seed}`} WHERE id = ${id}`;
        await tx`UPDATE counters SET n = n + 1 WHERE region = ${seed % 2 ? "eu" : "us"} AND id = ${1 + (id % 50)}`;
        await tx`INSERT INTO accounts (id, owner, balance) VALUES (${next++}, 'new', 0)`;
        if (id % 5 === 0) await tx`DELETE FROM accounts WHERE id = ${id + 1}`;
      });
      transactions++;
    }
  };
  const done = Promise.all([worker(1), worker(2)]);
  return {
    get transactions() {
      return transactions;
    },
    async stop() {
      running = false;
      await done;
    },
  };
}

async function waitConverged(source: postgres.Sql, target: postgres.Sql, tables: string[], timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pairs = await Promise.all(tables.map(async (t) => [await tableDigest(source, { schema: "public", name: t }), await tableDigest(target, { schema: "public", name: t }).catch(() => null)]));
    if (pairs.every(([s, t]) => t && s!.count === t.count && s!.md5 === t.md5)) return pairs;
    if (Date.now() > deadline) throw new Error(`target did not converge: ${JSON.stringify(pairs)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Starts the task and waits until its run streams; fails as soon as the run is anything but running. */
async function startStreaming(api: StackClient, task: string): Promise<void> {
  const { runId } = await api.expectOk("POST", `/tasks/${task}/start`);
  for (;;) {
    const run = await api.expectOk("GET", `/runs/${runId}`);
    if (run.phase === "streaming") return;
    expect(run.status, JSON.stringify(run.error)).toBe("running");
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("change capture through the local stack", () => {
  it("full_load_and_cdc converges while the source is written during the load, survives runner kills, and drops its slot on stop", async () => {
    const { api, source, target, sourceId, targetId } = await setup("cdc", TABLES);
    const task = (await api.expectOk("POST", "/tasks", { name: "live", sourceId, targetId, mode: "full_load_and_cdc", options: { chunkRows: 50_000 } })).id;
    const load = writeLoad(source);
    const { runId } = await api.expectOk("POST", `/tasks/${task}/start`);

    // Writes run through the whole load and on into streaming; the runner is killed three times while
    // it applies (each time once the newest stream has applied something), after a random delay.
    let kills = 0;
    let appliedAtKill = 0;
    const deadline = Date.now() + 180_000;
    for (;;) {
      const run = await api.expectOk("GET", `/runs/${runId}`);
      expect(run.status, JSON.stringify(run.error)).toBe("running");
      const applied = run.cdc?.changesApplied ?? 0;
      if (run.phase === "streaming" && applied > appliedAtKill) {
        if (kills === 3) break;
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 700)));
        process.kill(await fixture.stack().runnerPid(), "SIGKILL");
        kills++;
        appliedAtKill = (await api.expectOk("GET", `/runs/${runId}`)).cdc?.changesApplied ?? applied;
      }
      if (Date.now() > deadline) throw new Error(`never streamed: ${JSON.stringify(run)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 1000));
    await load.stop();
    expect(load.transactions).toBeGreaterThan(50);

    const [accounts, counters] = await waitConverged(source, target, ["accounts", "counters"]);
    expect(accounts![0]!.count).toBeGreaterThan(300_000);
    // Every increment applied exactly once: the sums agree (a replayed transaction would overshoot).
    const [s] = await source<{ n: string }[]>`SELECT sum(n)::text AS n FROM counters`;
    const [t] = await target<{ n: string }[]>`SELECT sum(n)::text AS n FROM counters`;
    expect(t!.n).toBe(s!.n);
    expect(counters![0]!.md5).toBe(counters![1]!.md5);

    const run = await api.expectOk("GET", `/runs/${runId}`);
    // Every chunk proved itself while the source was being written (checksums on the COPY's snapshot).
    expect(run.tables.map((t: { validation: string }) => t.validation)).toEqual(["passed", "passed"]);
    expect(run.cdc.changesApplied).toBeGreaterThan(0);
    expect(run.cdc.lagSeconds).toBeGreaterThanOrEqual(0);
    expect(run.cdc.lagBytes).toBeGreaterThanOrEqual(0);
    expect(run.cdc.appliedLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    const validation = await api.expectOk("POST", `/runs/${runId}/validate`);
    expect(validation.result, JSON.stringify(validation)).toBe("passed");
    expect(validation.tables.map((t: { source: string; equal: boolean }) => [t.source, t.equal])).toEqual([
      ["public.accounts", true],
      ["public.counters", true],
    ]);

    expect(await api.expectOk("POST", `/tasks/${task}/stop`)).toEqual({ status: "stopped" });
    const names = cdcNames(task);
    const left = await source`SELECT slot_name FROM pg_replication_slots WHERE slot_name = ${names.slot}
                              UNION ALL SELECT pubname FROM pg_publication WHERE pubname = ${names.publication}`;
    expect(left).toHaveLength(0);
  }, 300_000);

  it("refuses a table without a replica identity before anything is created on the source", async () => {
    const { api, source, target, sourceId, targetId } = await setup("replident", `
      CREATE TABLE public.items (id int PRIMARY KEY, name text);
      CREATE TABLE public.audit (at timestamptz NOT NULL, what text);
      INSERT INTO public.audit VALUES ('2024-01-01', 'created');
    `);
    const settled = async (id: string) => {
      for (;;) {
        const run = await api.expectOk("GET", `/runs/${id}`);
        if (run.phase === "streaming" || (run.status !== "running" && run.status !== "queued")) return run;
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const nothingCreated = async (task: string) => {
      const names = cdcNames(task);
      const created = await source`SELECT slot_name FROM pg_replication_slots WHERE slot_name = ${names.slot}
                                   UNION ALL SELECT pubname FROM pg_publication WHERE pubname = ${names.publication}`;
      expect(created).toHaveLength(0);
    };
    // No replica identity: publishing the table would make the source refuse UPDATE and DELETE on it.
    const task = (await api.expectOk("POST", "/tasks", { name: "replident", sourceId, targetId, mode: "cdc" })).id;
    let run = await settled((await api.expectOk("POST", `/tasks/${task}/start`)).runId);
    expect([run.status, run.error.code]).toEqual(["failed", "REPLICA_IDENTITY_MISSING"]);
    expect(run.error.message).toContain("public.audit has none");
    await nothingCreated(task);
    await source`UPDATE public.audit SET what = 'updated'`;
    // With REPLICA IDENTITY FULL the same task streams the keyless table into its empty target.
    await source.unsafe("ALTER TABLE public.audit REPLICA IDENTITY FULL");
    run = await settled((await api.expectOk("POST", `/tasks/${task}/start`)).runId);
    expect([run.status, run.phase], JSON.stringify(run.error)).toEqual(["running", "streaming"]);
    await source`INSERT INTO public.audit VALUES ('2024-01-02', 'streamed')`;
    await expect.poll(async () => (await target`SELECT what FROM public.audit`).map((r) => r.what), { timeout: 30_000 }).toEqual(["streamed"]);
    await api.expectOk("POST", `/tasks/${task}/stop`);
    expect((await api.delete(`/tasks/${task}`)).status).toBe(204);
  }, 120_000);

  it("full_load_and_cdc of a keyless table written during the load applies each change once", async () => {
    const { api, source, target, sourceId, targetId } = await setup("keyless", `
      CREATE TABLE public.accounts (id bigint PRIMARY KEY, owner text NOT NULL);
      INSERT INTO public.accounts SELECT g, 'owner ' || g FROM generate_series(1, 300000) g;
      CREATE TABLE public.zlog (n int NOT NULL, what text);
      CREATE UNIQUE INDEX zlog_n ON public.zlog (n);
      ALTER TABLE public.zlog REPLICA IDENTITY FULL;
      INSERT INTO public.zlog SELECT g, 'before' FROM generate_series(1, 250000) g;
    `);
    // One table at a time: zlog, copied after accounts, reads a snapshot long after the slot's start, and
    // everything written to it in between is in its copy and in the replay. Its unique index is no chunk
    // key here (a full load would split it in three): its replay relies on the snapshot of one copy.
    const options = { parallelTables: 1, chunkRows: 100_000 };
    const task = (await api.expectOk("POST", "/tasks", { name: "keyless", sourceId, targetId, mode: "full_load_and_cdc", options })).id;
    let running = true;
    let writes = 0;
    const writer = (async () => {
      for (let n = 1_000_001; running; n++) {
        await source.begin(async (tx) => {
          await tx`INSERT INTO public.zlog VALUES (${n}, 'during')`;
          await tx`UPDATE public.zlog SET what = 'updated' WHERE n = ${n - 500}`;
          if (n % 3 === 0) await tx`DELETE FROM public.zlog WHERE n = ${n - 700}`;
        });
        writes++;
      }
    })();
    try {
      await startStreaming(api, task);
      const atStreaming = writes;
      await new Promise((r) => setTimeout(r, 500));
      running = false;
      await writer;
      expect(atStreaming).toBeGreaterThan(50);
      // Equal count and digest: a change applied twice would leave a row twice.
      await waitConverged(source, target, ["zlog", "accounts"]);
    } finally {
      running = false;
      await writer;
    }
    await api.expectOk("POST", `/tasks/${task}/stop`);
    expect((await api.delete(`/tasks/${task}`)).status).toBe(204);
  }, 180_000);

  it("cdc mode propagates deletes, truncate and an added column", async () => {
    const { api, source, target, sourceId, targetId } = await setup("ddl", `
      CREATE TABLE public.items (id int PRIMARY KEY, name text);
      CREATE TABLE public.scratch (id int PRIMARY KEY);
    `);
    const task = (await api.expectOk("POST", "/tasks", { name: "ddl", sourceId, targetId, mode: "cdc" })).id;
    await startStreaming(api, task);
    await source.unsafe(`
      INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 1000) g;
      INSERT INTO scratch SELECT generate_series(1, 10);
      DELETE FROM items WHERE id % 10 = 0;
      TRUNCATE scratch;
      ALTER TABLE items ADD COLUMN price numeric(10,2);
      UPDATE items SET price = id * 1.5 WHERE id <= 100;
      INSERT INTO items VALUES (5000, 'late', 9.99);
    `);
    await waitConverged(source, target, ["items", "scratch"]);
    const [row] = await target<{ price: string }[]>`SELECT price::text FROM items WHERE id = 5000`;
    expect(row!.price).toBe("9.99");
    await api.expectOk("POST", `/tasks/${task}/stop`);
    expect((await api.delete(`/tasks/${task}`)).status).toBe(204);
  }, 120_000);
});
