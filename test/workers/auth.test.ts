import { describe, expect, it } from "vitest";
import { anonymous, ApiClient, PASSWORD, signUp, uniqueEmail } from "./support/client";

describe("auth", () => {
  it("signs up, sets an HttpOnly session cookie, and answers /me", async () => {
    const email = uniqueEmail();
    const res = await anonymous.post("/auth/signup", { email, password: PASSWORD, tenantName: "Acme" });
    expect(res.status).toBe(201);
    expect(res.json.user.email).toBe(email);
    expect(res.json.tenant.name).toBe("Acme");
    const setCookie = res.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/^dtaas_session=/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(res.text).not.toContain(PASSWORD);
    const me = await new ApiClient({ cookie: setCookie.split(";")[0] }).get("/me");
    expect(me.status).toBe(200);
    expect(me.json).toEqual({ user: res.json.user, tenant: res.json.tenant, authMethod: "session" });
  });

  it("refuses a second signup with the same email (409 EMAIL_TAKEN), case-insensitively", async () => {
    const { email } = await signUp();
    const res = await anonymous.post("/auth/signup", { email: email.toUpperCase(), password: PASSWORD, tenantName: "Other" });
    expect(res.status).toBe(409);
    expect(res.json.error.code).toBe("EMAIL_TAKEN");
  });

  it.each([
    [{ email: "not-an-email", password: PASSWORD, tenantName: "A" }, "email"],
    [{ email: "a@b.test", password: "short", tenantName: "A" }, "password"],
    [{ email: "a@b.test", password: PASSWORD, tenantName: "" }, "tenantName"],
    [{ email: "a@b.test", password: PASSWORD }, "tenantName"],
  ])("rejects invalid signup %j with 400 VALIDATION_FAILED naming %s", async (body, field) => {
    const res = await anonymous.post("/auth/signup", body);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("VALIDATION_FAILED");
    expect(res.json.error.details.issues.map((i: { path: string }) => i.path)).toContain(field);
  });

  it("rejects malformed JSON with 400", async () => {
    const res = await anonymous.request("POST", "/auth/signup", "{not json");
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBeTypeOf("string");
  });

  it("logs in with the right password and refuses a wrong one (401 INVALID_CREDENTIALS)", async () => {
    const { email } = await signUp();
    const bad = await anonymous.post("/auth/login", { email, password: "wrong password!" });
    expect(bad.status).toBe(401);
    expect(bad.json.error.code).toBe("INVALID_CREDENTIALS");
    const unknown = await anonymous.post("/auth/login", { email: uniqueEmail(), password: PASSWORD });
    expect(unknown.status).toBe(401);
    expect(unknown.json.error.code).toBe("INVALID_CREDENTIALS");
    const ok = await anonymous.post("/auth/login", { email, password: PASSWORD });
    expect(ok.status).toBe(200);
    expect(ok.json.user.email).toBe(email);
    expect(ok.headers.get("set-cookie")).toMatch(/^dtaas_session=/);
  });

  it("logout ends the session at once", async () => {
    const { client, cookie } = await signUp();
    expect((await client.get("/me")).status).toBe(200);
    const out = await client.post("/auth/logout");
    expect(out.status).toBe(204);
    const me = await new ApiClient({ cookie }).get("/me");
    expect(me.status).toBe(401);
    expect(me.json.error.code).toBe("UNAUTHENTICATED");
  });

  it("answers 401 UNAUTHENTICATED without credentials, with a forged cookie, and with a bogus key", async () => {
    for (const client of [anonymous, new ApiClient({ cookie: "dtaas_session=forged" }), new ApiClient({ apiKey: "dtaas_nope" })]) {
      for (const path of ["/me", "/connectors", "/tasks", "/api-keys"]) {
        const res = await client.get(path);
        expect(res.status).toBe(401);
        expect(res.json.error.code).toBe("UNAUTHENTICATED");
      }
    }
  });
});
