import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { AppError } from "../../../engine/errors/app-error";
import { createSession, deleteSession, SESSION_COOKIE, SESSION_TTL_MS } from "../auth/sessions";
import { tenants, users } from "../db/schema";
import { hashPassword, verifyPassword } from "../lib/crypto";
import { conflict, isUniqueViolation } from "../lib/errors";
import { newId } from "../lib/ids";
import { createRouter, errorResponses, json } from "../lib/openapi";
import type { AppEnv } from "../types";

const Email = z.string().trim().toLowerCase().email().max(254);
const Password = z.string().min(10, "use at least 10 characters").max(200);

const SignupBody = z.object({ email: Email, password: Password, tenantName: z.string().trim().min(1).max(100) }).openapi("SignupRequest");
const LoginBody = z.object({ email: Email, password: z.string().min(1).max(200) }).openapi("LoginRequest");

const UserView = z.object({ id: z.string(), email: z.string() });
const TenantView = z.object({ id: z.string(), name: z.string() });
const SessionView = z.object({ user: UserView, tenant: TenantView }).openapi("Session");
const MeView = z
  .object({ user: UserView.nullable(), tenant: TenantView, authMethod: z.enum(["session", "api_key"]) })
  .openapi("Me");

/** Signs the user in (session row + cookie) and returns the session view. */
async function signIn(c: Context<AppEnv>, user: { id: string; email: string }, tenant: { id: string; name: string }) {
  startSession(c, await createSession(c.var.db, c.env.SESSION_SECRET, user.id, tenant.id));
  return { user: { id: user.id, email: user.email }, tenant: { id: tenant.id, name: tenant.name } };
}

function startSession(c: Context<AppEnv>, token: string) {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    // Secure whenever the request came over https; plain-http localhost (development) would drop it otherwise.
    secure: new URL(c.req.url).protocol === "https:",
    sameSite: "Lax",
    path: "/",
    maxAge: Math.floor(SESSION_TTL_MS / 1000),
  });
}

const invalidCredentials = () => new AppError("INVALID_CREDENTIALS", "Email or password is wrong.", { status: 401 });

export const authRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/auth/signup",
      tags: ["auth"],
      request: { body: { content: { "application/json": { schema: SignupBody } }, required: true } },
      responses: { 201: json(SessionView, "Signed up and signed in"), 409: json(z.any(), "Email taken"), ...errorResponses },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const db = c.var.db;
      if (await db.query.users.findFirst({ where: eq(users.email, body.email) })) {
        throw conflict("EMAIL_TAKEN", "An account with this email exists; log in instead.");
      }
      const now = Date.now();
      const tenant = { id: newId("tnt"), name: body.tenantName, createdAt: now };
      const user = { id: newId("usr"), tenantId: tenant.id, email: body.email, passwordHash: await hashPassword(body.password), createdAt: now };
      try {
        await db.batch([db.insert(tenants).values(tenant), db.insert(users).values(user)]);
      } catch (e) {
        if (isUniqueViolation(e)) throw conflict("EMAIL_TAKEN", "An account with this email exists; log in instead.");
        throw e;
      }
      return c.json(await signIn(c, user, tenant), 201);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/auth/login",
      tags: ["auth"],
      request: { body: { content: { "application/json": { schema: LoginBody } }, required: true } },
      responses: { 200: json(SessionView, "Signed in"), ...errorResponses },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const db = c.var.db;
      const user = await db.query.users.findFirst({ where: eq(users.email, body.email) });
      if (!user || !(await verifyPassword(body.password, user.passwordHash))) throw invalidCredentials();
      const tenant = await db.query.tenants.findFirst({ where: eq(tenants.id, user.tenantId) });
      if (!tenant) throw invalidCredentials();
      return c.json(await signIn(c, user, tenant), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/auth/logout",
      tags: ["auth"],
      responses: { 204: { description: "Signed out" } },
    }),
    async (c) => {
      const token = getCookie(c, SESSION_COOKIE);
      if (token) await deleteSession(c.var.db, c.env.SESSION_SECRET, token);
      deleteCookie(c, SESSION_COOKIE, { path: "/" });
      return c.body(null, 204);
    },
  );

export const meRoutes = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/me",
    tags: ["auth"],
    responses: { 200: json(MeView, "The caller"), ...errorResponses },
  }),
  async (c) => {
    const p = c.var.principal;
    const db = c.var.db;
    const tenant = await db.query.tenants.findFirst({ where: eq(tenants.id, p.tenantId) });
    const user = p.userId ? await db.query.users.findFirst({ where: eq(users.id, p.userId) }) : undefined;
    if (!tenant) throw new AppError("UNAUTHENTICATED", "Sign in again.", { status: 401 });
    return c.json(
      {
        user: user ? { id: user.id, email: user.email } : null,
        tenant: { id: tenant.id, name: tenant.name },
        authMethod: p.apiKeyId ? ("api_key" as const) : ("session" as const),
      },
      200,
    );
  },
);
