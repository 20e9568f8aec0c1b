import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it, inject } from "vitest";
import WebSocket from "ws";
import { bothAdapters, createScratchDatabase, databaseUrl, type ScratchDatabase } from "../db/scratch-database";
import { AppError } from "./app-error";
import { classifyError, isRetryable, scrub } from "./classify";

const pgError = (code: string, message = "server text") => Object.assign(new Error(message), { name: "PostgresError", code, severity: "ERROR" });

describe("classifyError (driver and socket errors)", () => {
  it.each([
    ["28P01", "AUTH_FAILED", 400, false],
    ["28000", "AUTH_FAILED", 400, false],
    ["3D000", "DATABASE_NOT_FOUND", 400, false],
    ["42P01", "TABLE_MISSING", 400, false],
    ["42501", "PERMISSION_DENIED", 400, false],
    ["40001", "SERIALIZATION_FAILURE", 409, true],
    ["40P01", "SERIALIZATION_FAILURE", 409, true],
    ["53300", "TOO_MANY_CONNECTIONS", 503, true],
    ["57P01", "ADMIN_SHUTDOWN", 503, true],
    ["57P02", "ADMIN_SHUTDOWN", 503, true],
    ["57P03", "ADMIN_SHUTDOWN", 503, true],
    ["57014", "QUERY_TIMEOUT", 400, false],
    ["25006", "READ_ONLY_VIOLATION", 400, false],
    ["53100", "DISK_FULL", 507, false],
    ["08006", "DATABASE_UNREACHABLE", 502, true],
    ["53200", "DATABASE_BUSY", 503, true],
    ["22012", "DATABASE_ERROR", 502, false],
    ["XX000", "DATABASE_ERROR", 502, false],
  ])("SQLSTATE %s → %s", (sqlstate, code, status, retryable) => {
    const err = classifyError(pgError(sqlstate));
    expect([err.code, err.status, err.retryable, err.details]).toEqual([code, status, retryable, { sqlstate }]);
    expect(isRetryable(pgError(sqlstate))).toBe(retryable);
  });

  it.each([
    [Object.assign(new Error("connect ECONNREFUSED 10.0.0.1:5432"), { code: "ECONNREFUSED" }), "connection refused"],
    [Object.assign(new Error("getaddrinfo ENOTFOUND db.example"), { code: "ENOTFOUND" }), "host name not found"],
    [Object.assign(new Error("write CONNECT_TIMEOUT db:5432"), { code: "CONNECT_TIMEOUT" }), "connection timed out"],
    [Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }), "connection reset"],
    [Object.assign(new Error("connect ETIMEDOUT"), { code: "ETIMEDOUT" }), "connection timed out"],
    [new AggregateError([Object.assign(new Error("x"), { code: "ECONNREFUSED" })], ""), "connection refused"],
    [new Error("Connection terminated unexpectedly"), "connection lost"],
    [new Error("Network connection lost."), "connection lost"],
    [new Error("proxy request failed, cannot connect to the specified address"), "connection refused"],
    [new Error("Stream was cancelled."), "connection lost"],
    [new Error("outer", { cause: Object.assign(new Error("inner"), { code: "EHOSTUNREACH" }) }), "host unreachable"],
    [{ type: "error", message: "", error: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }) }, "connection refused"],
  ])("connection failure %#: %s", (e, reason) => {
    const err = classifyError(e, { subject: "the source database" });
    expect([err.code, err.status, err.retryable, err.message]).toEqual([
      "DATABASE_UNREACHABLE",
      502,
      true,
      `Could not reach the source database: ${reason}.`,
    ]);
  });

  it("passes AppErrors through and calls anything else DATABASE_ERROR without its text", () => {
    const app = new AppError("NOT_FOUND", "x", { status: 404 });
    expect(classifyError(app)).toBe(app);
    const other = classifyError(new TypeError("secret internals postgres://u:pw@h/db"));
    expect([other.code, other.retryable, other.message]).toEqual(["DATABASE_ERROR", false, "The database reported an error: unexpected failure."]);
  });

  it("keeps URLs and passwords out of messages", () => {
    const err = classifyError(pgError("XX000", "could not connect to postgres://bob:hunter2@db/x with password=hunter2"));
    expect(err.message).toBe("The database reported an error: could not connect to [url] with password=[hidden].");
    expect(scrub("ALTER ROLE x PASSWORD 'hunter2' and password: \"x y\".")).toBe("ALTER ROLE x PASSWORD [hidden] and password: [hidden]");
  });
});

describe.each(bothAdapters(inject("neonProxy"), WebSocket as never))("real connection failures over %s", (_adapter, open) => {
  let db: ScratchDatabase;
  let closedPort: number;
  beforeAll(async () => {
    db = await createScratchDatabase(inject("pgUrl"), "classify");
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    closedPort = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  afterAll(() => db.drop());

  const attempt = async (url: string): Promise<AppError> => {
    let q: Awaited<ReturnType<typeof open>> | undefined;
    try {
      q = await open(url);
      await q.query("SELECT 1");
    } catch (e) {
      return classifyError(e);
    } finally {
      await q?.close().catch(() => {});
    }
    throw new Error("expected the connection to fail");
  };

  it("a wrong password is AUTH_FAILED, fatal, without the password", async () => {
    const url = new URL(db.url);
    url.password = "wrong-secret";
    const err = await attempt(url.toString());
    expect([err.code, err.retryable, err.status, err.details]).toEqual(["AUTH_FAILED", false, 400, { sqlstate: "28P01" }]);
    expect(err.message).toBe('The database refused the login: password authentication failed for user "postgres". Check the user name and password.');
  });

  it("a missing database is DATABASE_NOT_FOUND", async () => {
    const err = await attempt(databaseUrl(inject("pgUrl"), `${db.name}_missing`));
    expect([err.code, err.retryable, err.details]).toEqual(["DATABASE_NOT_FOUND", false, { sqlstate: "3D000" }]);
    expect(err.message).toBe(`The server of the database has no such database: database "${db.name}_missing" does not exist.`);
  });

  it("a closed port is DATABASE_UNREACHABLE, retryable", async () => {
    const url = new URL(db.url);
    url.port = String(closedPort);
    const err = await attempt(url.toString());
    expect([err.code, err.retryable, err.status]).toEqual(["DATABASE_UNREACHABLE", true, 502]);
    expect(err.message).not.toContain("postgres:");
  });
});
