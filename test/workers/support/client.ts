import { SELF } from "cloudflare:test";

/** A caller of the public API through the Worker's own fetch handler. */
export class ApiClient {
  constructor(private readonly auth: { cookie?: string; apiKey?: string } = {}) {}

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const h: Record<string, string> = { ...headers };
    if (body !== undefined) h["content-type"] = "application/json";
    if (this.auth.cookie) h.cookie = this.auth.cookie;
    if (this.auth.apiKey) h.authorization = `Bearer ${this.auth.apiKey}`;
    const res = await SELF.fetch(`http://dtaas.test/api/v1${path}`, {
      method,
      headers: h,
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    const json = text ? (JSON.parse(text) as any) : null;
    return { status: res.status, json, text, headers: res.headers };
  }

  get = (path: string) => this.request("GET", path);
  post = (path: string, body?: unknown) => this.request("POST", path, body ?? {});
  patch = (path: string, body: unknown) => this.request("PATCH", path, body);
  delete = (path: string) => this.request("DELETE", path);
}

export const anonymous = new ApiClient();

let counter = 0;
export const uniqueEmail = (tag = "user") => `${tag}-${Date.now().toString(36)}-${counter++}-${Math.random().toString(36).slice(2, 8)}@example.test`;

export const PASSWORD = "correct horse battery";

/** Signs up a fresh tenant and returns a client carrying its session cookie. */
export async function signUp(tenantName = "Acme") {
  const email = uniqueEmail();
  // A client address of its own, so fixtures never meet the per-IP sign-up limit (middleware/rate-limit).
  const ip = `198.18.${Math.floor(Math.random() * 256)}.${counter & 255}`;
  const res = await anonymous.request("POST", "/auth/signup", { email, password: PASSWORD, tenantName }, { "cf-connecting-ip": ip });
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${res.text}`);
  const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0]!;
  return { client: new ApiClient({ cookie }), email, cookie, tenant: res.json.tenant as { id: string; name: string }, user: res.json.user };
}
