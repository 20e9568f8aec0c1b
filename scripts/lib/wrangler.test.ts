import { describe, expect, it } from "vitest";
import { loadStartConfig } from "./config";
import { migrationsSpec, wranglerDevSpec } from "./wrangler";

const config = loadStartConfig({ PORT: "9100", DTAAS_RUNNER_PORT: "9101", DTAAS_INSPECTOR_PORT: "9102" }, "/repo");

describe("wrangler commands", () => {
  it("runs wrangler dev locally on the configured ports, state and vars, without containers", () => {
    const { args, env } = wranglerDevSpec(config, () => {});
    const joined = args.join(" ");
    expect(joined).toContain("dev --local --ip 127.0.0.1 --port 9100 --inspector-port 9102");
    expect(joined).toContain("--persist-to /repo/.dtaas/wrangler --env-file /repo/.dtaas/wrangler.env");
    expect(args).toContain("--enable-containers=false");
    expect(args).toContain("--show-interactive-dev-session=false");
    expect(args).toContain("COPY_RUNNER_URL:http://127.0.0.1:9101");
    expect(args).toContain("ENVIRONMENT:development");
    expect(env?.WRANGLER_SEND_METRICS).toBe("false");
  });

  it("keeps secrets off the command line", () => {
    const joined = wranglerDevSpec(config, () => {}).args.join(" ");
    for (const name of ["ENCRYPTION_KEY", "SESSION_SECRET", "RUNNER_TOKEN"]) expect(joined).not.toContain(name);
  });

  it("applies D1 migrations into the same persisted state without prompting", () => {
    const { args, env } = migrationsSpec(config, () => {});
    expect(args.slice(1).join(" ")).toBe("d1 migrations apply DB --local --persist-to /repo/.dtaas/wrangler");
    expect(env?.CI).toBe("1");
  });
});
