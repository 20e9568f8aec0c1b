import { connect, type Socket } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";

export interface WsProxy {
  /** What @neondatabase/serverless takes as `wsProxy`: `127.0.0.1:PORT/v1`. */
  address: string;
  close(): Promise<void>;
}

/**
 * A WebSocket→TCP proxy speaking what Neon's wsproxy speaks: the client opens `ws://…/v1?address=host:port`
 * and then both sides exchange raw PostgreSQL protocol bytes as binary messages. Only loopback targets,
 * so the test proxy cannot be used to reach anything else.
 */
export async function startWsProxy(): Promise<WsProxy> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const sockets = new Set<Socket>();
  server.on("connection", (ws, request) => {
    const url = new URL(request.url ?? "/", "http://proxy");
    const target = /^127\.0\.0\.1:(\d{1,5})$/.exec(url.searchParams.get("address") ?? "");
    if (url.pathname !== "/v1" || !target) {
      ws.close(1008, "address must be 127.0.0.1:<port>");
      return;
    }
    pipe(ws, connect({ host: "127.0.0.1", port: Number(target[1]) }), sockets);
  });
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}/v1`,
    async close() {
      for (const s of sockets) s.destroy();
      for (const c of server.clients) c.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function pipe(ws: WebSocket, tcp: Socket, sockets: Set<Socket>) {
  sockets.add(tcp);
  tcp.setNoDelay(true);
  // net.Socket buffers writes made before the connection is up, so messages can be forwarded at once.
  ws.on("message", (data: Buffer | ArrayBuffer | Buffer[]) => {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
    tcp.write(bytes);
  });
  tcp.on("data", (chunk) => {
    if (ws.readyState === ws.OPEN) ws.send(chunk, { binary: true });
  });
  const closeBoth = () => {
    sockets.delete(tcp);
    tcp.destroy();
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close();
  };
  // A refused or reset TCP connection ends the WebSocket, which the client sees as a lost connection.
  tcp.on("error", closeBoth);
  tcp.on("close", closeBoth);
  ws.on("close", closeBoth);
  ws.on("error", closeBoth);
}
