import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { describeTables } from "../catalog/discover";
import { openPostgres } from "../db/postgres-js";
import type { Queryable } from "../db/queryable";
import { isAppError } from "../errors/app-error";
import { createTestDatabases, type TestDatabases } from "../test-support/test-databases";
import { assertReplicaIdentity } from "./replica-identity";

const TABLES = `
  CREATE TABLE keyed (id int PRIMARY KEY, v text);
  CREATE TABLE "Bare Table" (v text);
  CREATE TABLE full_row (v text);
  ALTER TABLE full_row REPLICA IDENTITY FULL;
  CREATE TABLE keyed_nothing (id int PRIMARY KEY, v text);
  ALTER TABLE keyed_nothing REPLICA IDENTITY NOTHING;
  CREATE TABLE by_index (a int NOT NULL, v text);
  CREATE UNIQUE INDEX by_index_a ON by_index (a);
  ALTER TABLE by_index REPLICA IDENTITY USING INDEX by_index_a;
  CREATE TABLE lost_index (a int NOT NULL, v text);
  CREATE UNIQUE INDEX lost_index_a ON lost_index (a);
  ALTER TABLE lost_index REPLICA IDENTITY USING INDEX lost_index_a;
  DROP INDEX lost_index_a;
  CREATE TABLE parts (region text NOT NULL, v text) PARTITION BY LIST (region);
  CREATE TABLE parts_eu PARTITION OF parts FOR VALUES IN ('eu');
  CREATE TABLE parts_us PARTITION OF parts FOR VALUES IN ('us');
  ALTER TABLE parts_us REPLICA IDENTITY FULL;
  CREATE TABLE keyed_parts (id int, region text, v text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
  CREATE TABLE keyed_parts_eu PARTITION OF keyed_parts FOR VALUES IN ('eu');
`;
const ALL = ["keyed", "Bare Table", "full_row", "keyed_nothing", "by_index", "lost_index", "parts", "keyed_parts"].map((name) => ({ schema: "public", name }));
const MISSING = ["Bare Table", "keyed_nothing", "lost_index", "parts"];

describe("replica identity before change capture", () => {
  let dbs: TestDatabases;
  let db: Queryable;
  beforeAll(async () => {
    dbs = await createTestDatabases(inject("pgUrl"), "replident");
    await dbs.source.unsafe(TABLES);
    db = openPostgres(dbs.sourceUrl);
  });
  afterAll(async () => {
    await db?.close();
    await dbs?.drop();
  });

  it("discovery marks exactly the tables with a leaf the source refuses UPDATE and DELETE on once published", async () => {
    const listed = await describeTables(db, ALL);
    expect(listed.filter((t) => !t.replicaIdentity).map((t) => t.name)).toEqual(MISSING);
    // PostgreSQL's own refusal: publish everything, then update every leaf.
    await dbs.source.unsafe(`CREATE PUBLICATION replident_check FOR TABLE keyed, "Bare Table", full_row, keyed_nothing, by_index, lost_index, parts, keyed_parts`);
    try {
      const leaves = ["keyed", '"Bare Table"', "full_row", "keyed_nothing", "by_index", "lost_index", "parts_eu", "parts_us", "keyed_parts_eu"];
      const refused: string[] = [];
      for (const leaf of leaves) {
        const error = await dbs.source.unsafe(`UPDATE public.${leaf} SET v = v`).then(
          () => null,
          (e: { code?: string }) => e,
        );
        if (error) {
          expect(error.code).toBe("55000");
          refused.push(leaf);
        }
      }
      expect(refused).toEqual(['"Bare Table"', "keyed_nothing", "lost_index", "parts_eu"]);
    } finally {
      await dbs.source.unsafe("DROP PUBLICATION replident_check");
    }
  });

  it("refuses with REPLICA_IDENTITY_MISSING, naming the tables and the remedy", async () => {
    const listed = await describeTables(db, ALL);
    let error: unknown;
    try {
      assertReplicaIdentity(listed);
    } catch (e) {
      error = e;
    }
    if (!isAppError(error)) throw new Error(`expected an AppError, got ${String(error)}`);
    expect([error.code, error.status, error.retryable]).toEqual(["REPLICA_IDENTITY_MISSING", 400, false]);
    expect(error.details).toEqual({ tables: MISSING.map((n) => `public.${n}`) });
    expect(error.message).toContain("public.Bare Table, public.keyed_nothing, public.lost_index, public.parts have none");
    expect(error.message).toContain("REPLICA IDENTITY FULL");
    expect(() => assertReplicaIdentity(listed.filter((t) => t.name === "keyed" || t.name === "keyed_parts"))).not.toThrow();
  });
});

