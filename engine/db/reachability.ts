import { AppError } from "../errors/app-error";

interface SocketsModule {
  connect(address: { hostname: string; port: number }): { opened: Promise<unknown>; close(): Promise<void> };
}

/**
 * workerd only. postgres.js's Workers socket shim leaves the rejection of a failed connect unobserved
 * (`writer.ready` has no handler), which surfaces as an unhandled rejection that fails the invocation. So
 * the control plane first opens a plain TCP socket itself and turns a refusal into DATABASE_UNREACHABLE;
 * only a reachable server is handed to postgres.js. The message names host and port, never credentials.
 */
export async function assertReachable(url: string, timeoutMs = 10_000): Promise<void> {
  const parsed = new URL(url);
  const hostname = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = Number(parsed.port || 5432);
  // A computed specifier keeps Node bundlers and vite from resolving this workerd-only module.
  const specifier = ["cloudflare", "sockets"].join(":");
  const { connect } = (await import(/* @vite-ignore */ specifier)) as SocketsModule;
  const socket = connect({ hostname, port });
  let timer: ReturnType<typeof setTimeout> | null = null;
  try {
    await Promise.race([
      socket.opened,
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error("connect timeout")), timeoutMs))),
    ]);
  } catch (cause) {
    socket.opened.catch(() => {});
    throw new AppError("DATABASE_UNREACHABLE", `Cannot reach the database server at ${hostname}:${port}.`, { status: 502, retryable: true, cause });
  } finally {
    if (timer !== null) clearTimeout(timer);
    socket.close().catch(() => {});
  }
}
