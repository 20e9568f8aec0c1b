import { createServer } from "node:net";

/** Asks the OS for a free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Whether nothing listens on `port` at `host` (tries to bind it, then releases it). */
export function isPortFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/** Rejects naming every busy port and the setting that chose it. */
export async function assertPortsFree(ports: Record<string, number>, host = "127.0.0.1"): Promise<void> {
  const busy: string[] = [];
  for (const [setting, port] of Object.entries(ports)) {
    if (!(await isPortFree(port, host))) busy.push(`${port} (${setting})`);
  }
  if (busy.length > 0) throw new Error(`port already in use: ${busy.join(", ")}; choose another or stop what holds it`);
}
