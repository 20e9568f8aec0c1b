import { describe, expect, it } from "vitest";
import { describeStartEnv, loadStartConfig } from "./config";

describe("start config", () => {
  it("defaults avoid a PostgreSQL on 5432 and keep state under .dtaas", () => {
    const config = loadStartConfig({}, "/repo");
    expect(config.ports).toEqual({ api: 8787, pg: 54329, runner: 8788, inspector: 0 });
    expect(config.paths.pgData).toBe("/repo/.dtaas/pg/data");
    expect(config.paths.wranglerState).toBe("/repo/.dtaas/wrangler");
    expect(config.skipWebBuild).toBe(false);
    expect(config.demoOrders).toBe(1_000_000);
  });

  it("reads every setting from the environment", () => {
    const config = loadStartConfig(
      { PORT: "9000", DTAAS_PG_PORT: "9001", DTAAS_RUNNER_PORT: "9002", DTAAS_INSPECTOR_PORT: "9003", DTAAS_HOME: "/tmp/x", DTAAS_SKIP_WEB_BUILD: "1" },
      "/repo",
    );
    expect(config.ports).toEqual({ api: 9000, pg: 9001, runner: 9002, inspector: 9003 });
    expect(config.paths.secrets).toBe("/tmp/x/secrets.json");
    expect(config.skipWebBuild).toBe(true);
  });

  it("rejects bad values and colliding ports with readable messages", () => {
    expect(() => loadStartConfig({ PORT: "http" }, "/repo")).toThrow(/PORT/);
    expect(() => loadStartConfig({ DTAAS_RUNNER_PORT: "8787" }, "/repo")).toThrow(/ports must differ/);
  });

  it("describes every variable with its default", () => {
    const help = describeStartEnv();
    for (const name of ["PORT", "DTAAS_PG_PORT", "DTAAS_RUNNER_PORT", "DTAAS_INSPECTOR_PORT", "DTAAS_HOME", "DTAAS_SKIP_WEB_BUILD"]) {
      expect(help).toContain(name);
    }
    expect(help).toContain("(default 54329)");
    expect(help).toContain("(default 0)");
  });
});
