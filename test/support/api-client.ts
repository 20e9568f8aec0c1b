/** A Node-side caller of the public API of a running stack, carrying a session cookie. */
export class StackClient {
  private cookie = "";
  // A client address per caller (wrangler dev keeps a CF-Connecting-IP it is given), so the many sign-ups
  // of a test file never meet the per-IP limit of sign-up and login (worker/src/middleware/rate-limit).
  private readonly ip = `198.18.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}`;

  constructor(readonly origin: string) {}

  // Responses are loosely typed JSON: tests assert on exact fields.
  async request(method: string, path: string, body?: unknown): Promise<{ status: number; json: any; text: string }> {
    const headers: Record<string, string> = { "cf-connecting-ip": this.ip };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (this.cookie) headers.cookie = this.cookie;
    const res = await fetch(`${this.origin}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const setCookie = res.headers.get("set-cookie");
    if (setCookie?.startsWith("dtaas_session=")) this.cookie = setCookie.split(";")[0]!;
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null, text };
  }

  /** Headers that authenticate a request made outside `request` (a WebSocket upgrade). */
  authHeaders(): Record<string, string> {
    return { "cf-connecting-ip": this.ip, ...(this.cookie ? { cookie: this.cookie } : {}) };
  }

  get = (path: string) => this.request("GET", path);
  post = (path: string, body?: unknown) => this.request("POST", path, body ?? {});
  patch = (path: string, body: unknown) => this.request("PATCH", path, body);
  delete = (path: string) => this.request("DELETE", path);

  async expectOk(method: string, path: string, body?: unknown): Promise<any> {
    const res = await this.request(method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${res.text}`);
    return res.json;
  }

  async signUp(tenantName = "E2E"): Promise<void> {
    const email = `e2e-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.test`;
    await this.expectOk("POST", "/auth/signup", { email, password: "e2e correct horse", tenantName });
  }

  async createConnector(name: string, url: string): Promise<string> {
    return (await this.expectOk("POST", "/connectors", { name, kind: "postgres", url })).id;
  }

  /** Starts the task and polls its run until it leaves `running`; returns the final run. */
  async runToEnd(taskId: string, options: { timeoutMs?: number; body?: unknown; onPoll?: (run: any) => Promise<void> | void } = {}): Promise<any> {
    const { runId } = await this.expectOk("POST", `/tasks/${taskId}/start`, options.body ?? {});
    return this.waitForRun(runId, options);
  }

  async waitForRun(runId: string, options: { timeoutMs?: number; onPoll?: (run: any) => Promise<void> | void } = {}): Promise<any> {
    const deadline = Date.now() + (options.timeoutMs ?? 120_000);
    for (;;) {
      const run = await this.expectOk("GET", `/runs/${runId}`);
      if (run.status !== "running" && run.status !== "queued") return run;
      await options.onPoll?.(run);
      if (Date.now() > deadline) throw new Error(`run ${runId} still ${run.status}/${run.phase} after the timeout: ${JSON.stringify(run)}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }
}
