import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { randomBytes } from "node:crypto";
import { openPostgres } from "../db/postgres-js";
import type { Queryable } from "../db/queryable";
import { AppError } from "../errors/app-error";
import { createTestDatabases, type TestDatabases } from "../test-support/test-databases";
import { parseLsn } from "./lsn";
import { cdcNames, createSlot, dropSlotAndPublication, ensurePublication, slotError } from "./slot";

describe("cdcNames", () => {
  it("makes a valid lower-case identifier of at most 63 bytes", () => {
    expect(cdcNames("Task-42.A")).toEqual({ slot: "dtaas_task_42_a", publication: "dtaas_task_42_a" });
    expect(cdcNames("0b6f2c1e-5f0e-4c3a-9a57-3cbe8a1e2f10").slot).toBe("dtaas_0b6f2c1e_5f0e_4c3a_9a57_3cbe8a1e2f10");
    const long = cdcNames("x".repeat(100)).slot;
    expect(long.length).toBe(63);
    expect(long).toMatch(/^[a-z0-9_]+$/);
    expect(cdcNames("x".repeat(100) + "a").slot).not.toBe(long);
    expect(cdcNames("ÄÖ ü").slot).toMatch(/^dtaas_[a-z0-9_]+$/);
  });
});

describe("slotError", () => {
  const server = (code: string, message: string) => Object.assign(new Error(message), { code });
  it("maps the readiness SQLSTATEs to stable codes", () => {
    expect(slotError(server("55000", "logical decoding requires wal_level >= logical"), "x").code).toBe("WAL_LEVEL_NOT_LOGICAL");
    expect(slotError(server("42501", "must be superuser or replication role to use replication slots"), "x").code).toBe(
      "NO_REPLICATION_PRIVILEGE",
    );
    expect(slotError(server("53400", "all replication slots are in use"), "x").code).toBe("NO_FREE_SLOT");
    expect(slotError(server("55006", "replication slot is active for PID 1"), "x").code).toBe("DATABASE_ERROR");
    expect(slotError(Object.assign(new Error("x"), { code: "ECONNRESET" }), "x")).toMatchObject({ retryable: true });
  });
});

describe("slot lifecycle", () => {
  let dbs: TestDatabases;
  let db: Queryable;
  const names = cdcNames(`slot_${randomBytes(4).toString("hex")}`);
  beforeAll(async () => {
    dbs = await createTestDatabases(inject("pgUrl"), "cdcslot");
    await dbs.source.unsafe(`CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE "B c" (id int PRIMARY KEY); CREATE SCHEMA s; CREATE TABLE s.d (id int)`);
    db = openPostgres(dbs.sourceUrl);
  });
  afterAll(async () => {
    await dropSlotAndPublication(db, names).catch(() => {});
    await db?.close();
    await dbs?.drop();
  });

  const published = async () =>
    (await dbs.source`SELECT schemaname::text || '.' || tablename::text AS t FROM pg_publication_tables WHERE pubname = ${names.publication} ORDER BY 1`).map(
      (r) => r.t,
    );

  it("creates the publication and changes its table list", async () => {
    await ensurePublication(db, names.publication, [{ schema: "public", name: "a" }]);
    expect(await published()).toEqual(["public.a"]);
    await ensurePublication(db, names.publication, [{ schema: "public", name: "a" }]);
    await ensurePublication(db, names.publication, [{ schema: "public", name: "B c" }, { schema: "s", name: "d" }]);
    expect(await published()).toEqual(["public.B c", "s.d"]);
    await ensurePublication(db, names.publication, []);
    expect(await published()).toEqual([]);
    await ensurePublication(db, names.publication, [{ schema: "public", name: "a" }]);
    expect(await published()).toEqual(["public.a"]);
  });

  it("creates the slot once and returns it again", async () => {
    const first = await createSlot(db, names.slot);
    expect(first).toMatchObject({ slotName: names.slot, created: true });
    const again = await createSlot(db, names.slot);
    expect(again).toEqual({ slotName: names.slot, consistentPoint: first.consistentPoint, created: false });
    expect(parseLsn(first.consistentPoint)).toBeGreaterThan(0n);
  });

  it("drops slot and publication, leaving nothing behind, and is idempotent", async () => {
    await dropSlotAndPublication(db, names);
    await dropSlotAndPublication(db, names);
    expect(await dbs.source`SELECT 1 FROM pg_replication_slots WHERE slot_name = ${names.slot}`).toHaveLength(0);
    expect(await dbs.source`SELECT 1 FROM pg_publication WHERE pubname = ${names.publication}`).toHaveLength(0);
  });

  it("reports NO_REPLICATION_PRIVILEGE for a user without REPLICATION", async () => {
    const role = `cdc_norepl_${randomBytes(4).toString("hex")}`;
    await dbs.source.unsafe(`CREATE ROLE ${role} LOGIN PASSWORD 'pw'`);
    const url = new URL(dbs.sourceUrl);
    url.username = role;
    url.password = "pw";
    const weak = openPostgres(url.toString());
    try {
      const err = await createSlot(weak, `${names.slot}_x`).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ code: "NO_REPLICATION_PRIVILEGE" });
    } finally {
      await weak.close();
      await dbs.source.unsafe(`DROP ROLE ${role}`);
    }
  });
});
