/** Seeds the demo tenant through the public API (DESIGN.md §7), so it exercises what clients use. */

export interface DemoConnector {
  name: string;
  kind: "postgres";
  url: string;
}

export interface SeedOptions {
  /** Origin of the app, e.g. http://127.0.0.1:8787. */
  origin: string;
  email: string;
  password: string;
  tenantName: string;
  connectors: DemoConnector[];
}

export interface SeedResult {
  account: "created" | "existing";
  connectors: { name: string; state: "created" | "existing" }[];
}

const SESSION_COOKIE = "dtaas_session";

export class SeedError extends Error {
  override readonly name = "SeedError";
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Signs up (or, when the email is taken, logs in) and creates the connectors that do not exist yet. */
export async function seedDemoTenant(options: SeedOptions): Promise<SeedResult> {
  const api = new ApiSession(options.origin);
  const signup = await api.post("/auth/signup", {
    email: options.email,
    password: options.password,
    tenantName: options.tenantName,
  });
  let account: SeedResult["account"] = "created";
  if (signup.status === 409) {
    account = "existing";
    const login = await api.post("/auth/login", { email: options.email, password: options.password });
    if (login.status === 401) {
      throw new SeedError(`${options.email} exists with another password (was .dtaas/secrets.json replaced?)`, 401);
    }
    await okJson(login, "POST /auth/login");
  } else {
    await okJson(signup, "POST /auth/signup");
  }

  const { items } = (await okJson(await api.get("/connectors"), "GET /connectors")) as { items: { name: string }[] };
  const existing = new Set(items.map((c) => c.name));
  const connectors: SeedResult["connectors"] = [];
  for (const connector of options.connectors) {
    if (existing.has(connector.name)) {
      connectors.push({ name: connector.name, state: "existing" });
      continue;
    }
    await okJson(await api.post("/connectors", connector), `POST /connectors (${connector.name})`);
    connectors.push({ name: connector.name, state: "created" });
  }
  return { account, connectors };
}

/** A cookie-carrying client of /api/v1; sends the app's own Origin like the browser would. */
class ApiSession {
  private cookie: string | undefined;

  constructor(private readonly origin: string) {}

  get(path: string): Promise<Response> {
    return this.request("GET", path);
  }

  post(path: string, body: unknown): Promise<Response> {
    return this.request("POST", path, body);
  }

  private async request(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { origin: this.origin, accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (this.cookie) headers.cookie = this.cookie;
    const res = await fetch(`${this.origin}/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    for (const setCookie of res.headers.getSetCookie()) {
      const pair = setCookie.split(";", 1)[0] ?? "";
      if (pair.startsWith(`${SESSION_COOKIE}=`)) this.cookie = pair;
    }
    return res;
  }
}

async function okJson(res: Response, what: string): Promise<unknown> {
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON (e.g. the SPA's index.html for a route that does not exist yet): the status says enough.
  }
  if (res.ok) return body;
  const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  const detail = error ? ` ${error.code ?? ""}: ${error.message ?? ""}` : "";
  throw new SeedError(`${what} answered ${res.status}${detail}`, res.status);
}
