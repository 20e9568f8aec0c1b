import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import WebSocket from "ws";
import { openPostgres } from "../db/postgres-js";
import { bothAdapters, createScratchDatabase, randomSuffix, type ScratchDatabase } from "../db/scratch-database";
import { cdcChecks, checkConnection } from "./check";

let db: ScratchDatabase;
const role = `app_${randomSuffix()}`;
const replicator = `repl_${randomSuffix()}`;

beforeAll(async () => {
  db = await createScratchDatabase(inject("pgUrl"), "readiness");
  const admin = openPostgres(db.url);
  try {
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'app-pw'`);
    await admin.query(`CREATE ROLE ${replicator} LOGIN REPLICATION PASSWORD 'repl-pw'`);
  } finally {
    await admin.close();
  }
});
afterAll(async () => {
  await db.drop();
  const admin = openPostgres(inject("pgUrl"));
  try {
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
    await admin.query(`DROP ROLE IF EXISTS ${replicator}`);
  } finally {
    await admin.close();
  }
});

const as = (user: string, password: string) => {
  const url = new URL(db.url);
  url.username = user;
  url.password = password;
  return url.toString();
};

describe.each(bothAdapters(inject("neonProxy"), WebSocket as never))("checkConnection over %s", (_adapter, open) => {
  it("reports the embedded server (logical, superuser) as ready", async () => {
    const q = await open(db.url);
    try {
      const report = await checkConnection(q);
      expect(report.serverVersionNum).toBeGreaterThanOrEqual(170000);
      expect(report.serverVersionNum).toBeLessThan(180000);
      expect(report.serverVersion).toMatch(/^17\.\d+/);
      expect([report.database, report.user]).toEqual([db.name, "postgres"]);
      expect(report.latencyMs).toBeGreaterThanOrEqual(0);
      expect(report.cdc.ready).toBe(true);
      expect(report.cdc.checks.map((c) => [c.name, c.ok, c.fix])).toEqual([
        ["wal_level", true, null],
        ["replication_privilege", true, null],
        ["replication_slots", true, null],
        ["wal_senders", true, null],
      ]);
      expect(report.cdc.checks[0]?.detail).toBe("wal_level is logical; logical decoding needs logical.");
      expect(report.cdc.checks[1]?.detail).toBe("postgres is a superuser.");
      expect(report.cdc.checks[3]?.detail).toBe("max_wal_senders = 64.");
    } finally {
      await q.close();
    }
  });

  it("reports a role without REPLICATION as not ready, with the fix", async () => {
    const q = await open(as(role, "app-pw"));
    try {
      const report = await checkConnection(q);
      expect(report.user).toBe(role);
      expect(report.cdc.ready).toBe(false);
      const failing = report.cdc.checks.filter((c) => !c.ok);
      expect(failing).toEqual([
        {
          name: "replication_privilege",
          ok: false,
          detail: `${role} is neither a superuser nor has the REPLICATION attribute.`,
          fix: `As a superuser run ALTER ROLE "${role}" WITH REPLICATION; (on Amazon RDS: GRANT rds_replication TO "${role}";).`,
        },
      ]);
    } finally {
      await q.close();
    }
  });

  it("accepts a role with the REPLICATION attribute", async () => {
    const q = await open(as(replicator, "repl-pw"));
    try {
      const report = await checkConnection(q);
      expect(report.cdc.ready).toBe(true);
      expect(report.cdc.checks[1]?.detail).toBe(`${replicator} has the REPLICATION attribute.`);
    } finally {
      await q.close();
    }
  });
});

describe("cdcChecks", () => {
  const facts = {
    version: "16.4",
    version_num: 160004,
    database: "app",
    user: 'we"ird',
    wal_level: "replica",
    max_slots: 4,
    used_slots: 4,
    max_senders: 0,
    superuser: false,
    replication: false,
    via_roles: ["rds_replication"],
  };

  it("names each missing prerequisite with its fix", () => {
    expect(cdcChecks(facts)).toEqual([
      {
        name: "wal_level",
        ok: false,
        detail: "wal_level is replica; logical decoding needs logical.",
        fix:
          "As a superuser run ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL. On a managed service enable logical " +
          "replication in its settings instead (Amazon RDS: rds.logical_replication = 1 in the parameter group; Azure: " +
          "wal_level = logical in server parameters; Neon: enable logical replication in the project settings).",
      },
      { name: "replication_privilege", ok: true, detail: 'we"ird is a member of rds_replication.', fix: null },
      {
        name: "replication_slots",
        ok: false,
        detail: "4 of max_replication_slots = 4 in use; 0 free (a CDC task needs one).",
        fix:
          "Drop unused slots (SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE NOT active; check first " +
          "that nothing needs them) or raise the limit: ALTER SYSTEM SET max_replication_slots = 10; then restart PostgreSQL.",
      },
      { name: "wal_senders", ok: false, detail: "max_wal_senders = 0.", fix: "As a superuser run ALTER SYSTEM SET max_wal_senders = 10; then restart PostgreSQL." },
    ]);
  });

  it("quotes the role name in the fix", () => {
    const checks = cdcChecks({ ...facts, via_roles: null });
    expect(checks[1]?.fix).toBe('As a superuser run ALTER ROLE "we""ird" WITH REPLICATION; (on Amazon RDS: GRANT rds_replication TO "we""ird";).');
  });
});
