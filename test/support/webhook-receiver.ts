import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
  at: number;
}

/**
 * A webhook receiver for tests. `POST /hook/<name>?fail=N&status=S&delayMs=D` answers S (500) to the
 * first N requests of <name>, after D ms, then 200. `GET /received/<name>` lists what <name> got.
 * Names isolate tests from each other; nothing else is shared.
 */
export async function startWebhookReceiver(): Promise<{ url: string; received(name: string): ReceivedRequest[]; close(): Promise<void> }> {
  const byName = new Map<string, ReceivedRequest[]>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://receiver");
    const [, kind, name] = url.pathname.split("/");
    if (req.method === "GET" && kind === "received" && name) {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(byName.get(name) ?? []));
      return;
    }
    if (req.method !== "POST" || kind !== "hook" || !name) {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const list = byName.get(name) ?? [];
      byName.set(name, list);
      const fail = Number(url.searchParams.get("fail") ?? 0);
      const status = list.length < fail ? Number(url.searchParams.get("status") ?? 500) : 200;
      list.push({ path: url.pathname + url.search, headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), status, at: Date.now() });
      const answer = () => {
        if (!res.destroyed) res.writeHead(status, { "content-type": "text/plain" }).end(status === 200 ? "ok" : "nope");
      };
      const delay = Number(url.searchParams.get("delayMs") ?? 0);
      if (delay > 0) setTimeout(answer, delay).unref();
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received: (name) => byName.get(name) ?? [],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
