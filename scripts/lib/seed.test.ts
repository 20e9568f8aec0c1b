import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { seedDemoTenant, type SeedOptions } from "./seed";

interface FakeApi {
  origin: string;
  calls: string[];
  connectors: { name: string }[];
}

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

async function readBody(req: IncomingMessage): Promise<Record<string, string>> {
  let text = "";
  for await (const chunk of req) text += String(chunk);
  return text ? (JSON.parse(text) as Record<string, string>) : {};
}

/** A stand-in for the Worker: one user, session cookie, connectors list. */
async function fakeApi(existingUser: { email: string; password: string } | undefined): Promise<FakeApi> {
  const calls: string[] = [];
  const connectors: { name: string }[] = [];
  server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      calls.push(`${req.method} ${req.url}`);
      const send = (status: number, payload: unknown, cookie?: string) => {
        res.writeHead(status, { "content-type": "application/json", ...(cookie ? { "set-cookie": cookie } : {}) });
        res.end(JSON.stringify(payload));
      };
      const session = "dtaas_session=s3cret; Path=/; HttpOnly; Secure; SameSite=Lax";
      const authed = req.headers.cookie === "dtaas_session=s3cret";
      if (req.url === "/api/v1/auth/signup") {
        if (existingUser?.email === body.email) return send(409, { error: { code: "EMAIL_TAKEN", message: "taken" } });
        return send(201, { user: { id: "u" } }, session);
      }
      if (req.url === "/api/v1/auth/login") {
        if (existingUser?.password !== body.password) return send(401, { error: { code: "INVALID_CREDENTIALS", message: "no" } });
        return send(200, { user: { id: "u" } }, session);
      }
      if (!authed) return send(401, { error: { code: "UNAUTHENTICATED", message: "sign in" } });
      if (req.url === "/api/v1/connectors" && req.method === "GET") return send(200, { items: connectors });
      if (req.url === "/api/v1/connectors" && req.method === "POST") {
        connectors.push({ name: body.name ?? "" });
        return send(201, { id: "c", name: body.name });
      }
      return send(404, { error: { code: "NOT_FOUND", message: "no" } });
    })();
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, calls, connectors };
}

function options(origin: string, password = "pw-123456789"): SeedOptions {
  return {
    origin,
    email: "demo@dtaas.local",
    password,
    tenantName: "Demo",
    connectors: [
      { name: "demo_source", kind: "postgres", url: "postgres://u:p@127.0.0.1:1/demo_source" },
      { name: "demo_target", kind: "postgres", url: "postgres://u:p@127.0.0.1:1/demo_target" },
    ],
  };
}

describe("seedDemoTenant", () => {
  it("signs up and creates both connectors", async () => {
    const api = await fakeApi(undefined);
    const result = await seedDemoTenant(options(api.origin));
    expect(result).toEqual({
      account: "created",
      connectors: [
        { name: "demo_source", state: "created" },
        { name: "demo_target", state: "created" },
      ],
    });
    expect(api.connectors.map((c) => c.name)).toEqual(["demo_source", "demo_target"]);
  });

  it("logs in when the email is taken and creates only missing connectors", async () => {
    const api = await fakeApi({ email: "demo@dtaas.local", password: "pw-123456789" });
    api.connectors.push({ name: "demo_source" });
    const result = await seedDemoTenant(options(api.origin));
    expect(result.account).toBe("existing");
    expect(result.connectors).toEqual([
      { name: "demo_source", state: "existing" },
      { name: "demo_target", state: "created" },
    ]);
    expect(api.calls).toEqual([
      "POST /api/v1/auth/signup",
      "POST /api/v1/auth/login",
      "GET /api/v1/connectors",
      "POST /api/v1/connectors",
    ]);
  });

  it("explains a password mismatch", async () => {
    const api = await fakeApi({ email: "demo@dtaas.local", password: "other" });
    await expect(seedDemoTenant(options(api.origin))).rejects.toThrow(/exists with another password/);
  });
});
