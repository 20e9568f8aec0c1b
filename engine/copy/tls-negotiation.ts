import net from "node:net";
import tls from "node:tls";

/** postgres.js's resolved `ssl` option: false, an sslmode name, true, or tls.connect options. */
export type SslOption = false | true | string | tls.ConnectionOptions;

/** The SSLRequest message: length 8, code 80877103. */
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/** The server refused TLS where the sslmode requires it. */
export class TlsRefusedError extends Error {
  readonly code = "TLS_REFUSED";
  constructor(mode: string) {
    super(`the server does not accept TLS connections, which sslmode=${mode} requires`);
  }
}

/**
 * Connects to `host:port` and negotiates TLS as postgres.js 3.4.9 does for the same `ssl` option (its
 * connection.js `secure`), but on a socket of ours, so the decrypted stream can be tapped: an SSLRequest,
 * then on 'S' a TLS handshake — certificates unchecked for require/allow/prefer, checked by Node's
 * defaults for verify-full (and any other mode name, or true), tls.connect options as given for an
 * object. On 'N', prefer and allow continue in plain text; every other mode fails with TlsRefusedError.
 * Resolves with the socket to speak the protocol on once it is ready (connected, handshake done); rejects
 * with the socket's or TLS's own error (codes ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT, …) or on timeout.
 */
export async function connectWithTls(host: string, port: number, ssl: Exclude<SslOption, false>, timeoutMs: number): Promise<net.Socket> {
  // No Nagle delay, as on the plain connections (dedicated-connection.ts).
  const raw = net.connect({ port, host, noDelay: true });
  let current: net.Socket = raw;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`connection to ${host}:${port} timed out`), { code: "CONNECT_TIMEOUT" })), timeoutMs);
  });
  try {
    return await Promise.race([timeout, negotiate()]);
  } catch (err) {
    current.destroy();
    raw.destroy();
    throw err;
  } finally {
    clearTimeout(timer);
  }

  async function negotiate(): Promise<net.Socket> {
    await settled(raw, "connect");
    raw.write(SSL_REQUEST);
    const answer = await firstByte(raw);
    const mode = typeof ssl === "string" ? ssl : "verify-full";
    if (answer !== 0x53 /* S */) {
      if (mode === "prefer" || mode === "allow") return raw;
      throw new TlsRefusedError(mode);
    }
    const unchecked = mode === "require" || mode === "allow" || mode === "prefer";
    const secure = tls.connect({
      socket: raw,
      servername: net.isIP(host) ? undefined : host,
      ...(unchecked ? { rejectUnauthorized: false } : typeof ssl === "object" ? ssl : {}),
    });
    current = secure;
    await settled(secure, "secureConnect");
    return secure;
  }
}

/** Resolves on `event`, rejects on the socket's error or close before it. */
function settled(socket: net.Socket, event: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      socket.off(event, ok);
      socket.off("error", fail);
      socket.off("close", closed);
      if (err) reject(err);
      else resolve();
    };
    const ok = () => done();
    const fail = (err: Error) => done(err);
    const closed = () => done(Object.assign(new Error("the server closed the connection during TLS negotiation"), { code: "ECONNRESET" }));
    socket.once(event, ok);
    socket.once("error", fail);
    socket.once("close", closed);
  });
}

/** The server's one-byte answer to SSLRequest: nothing else comes before our next message. */
function firstByte(socket: net.Socket): Promise<number> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      socket.off("data", onData);
      socket.off("error", reject);
      socket.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      cleanup();
      if (chunk.length !== 1) reject(new Error(`unexpected answer to SSLRequest (${chunk.length} bytes)`));
      else resolve(chunk[0]!);
    };
    const onClose = () => {
      cleanup();
      reject(Object.assign(new Error("the server closed the connection during TLS negotiation"), { code: "ECONNRESET" }));
    };
    socket.on("data", onData);
    socket.once("error", reject);
    socket.once("close", onClose);
  });
}
