import { timingSafeEqual, createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { AppError, isAppError } from "../../engine/errors/app-error";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface RouteContext {
  req: IncomingMessage;
  url: URL;
  /** Values of the `:name` segments of the route's path. */
  params: Record<string, string>;
  /** Parses the request body as JSON (at most `maxBodyBytes`); throws AppError BAD_REQUEST otherwise. */
  json(): Promise<unknown>;
}

export interface RouteResult {
  status?: number;
  body: unknown;
}

export interface Route {
  method: HttpMethod;
  /** Literal segments and `:name` parameters, e.g. `/jobs/:id/cancel`. */
  path: string;
  /** Public routes skip the bearer token check; only health is public. */
  public?: boolean;
  handle(ctx: RouteContext): Promise<RouteResult> | RouteResult;
}

export interface RunnerServerOptions {
  /** Shared secret the Worker/DO send as `Authorization: Bearer <token>`. */
  token: string;
  routes: Route[];
  /** Default 16 MiB: a batch of small tables' jobs carries each table's catalog description. */
  maxBodyBytes?: number;
  onError?: (error: unknown, req: IncomingMessage) => void;
}

export interface RunnerInfo {
  version: string;
  /** `Date.now()` when the process started. */
  startedAt: number;
}

/** The route table of the copy runner. Job routes go here; every route but health needs the token. */
export function runnerRoutes(info: RunnerInfo): Route[] {
  return [
    {
      method: "GET",
      path: "/health",
      public: true,
      handle: () => ({ body: { ok: true, version: info.version, pid: process.pid, uptimeMs: Date.now() - info.startedAt } }),
    },
  ];
}

interface CompiledRoute {
  route: Route;
  segments: string[];
}

/** The copy runner's HTTP surface: a route table behind bearer-token auth, errors in the §7 shape. */
export function createRunnerServer(options: RunnerServerOptions): Server {
  if (!options.token) throw new Error("createRunnerServer: token must not be empty");
  const expected = digest(options.token);
  const compiled = options.routes.map((route) => ({ route, segments: splitPath(route.path) }));
  const maxBodyBytes = options.maxBodyBytes ?? 16 << 20;

  return createServer((req, res) => {
    void respond(req, res).catch((error: unknown) => {
      // The response is already broken (client gone mid-write); nothing is left to tell anyone.
      options.onError?.(error, req);
      res.destroy();
    });
  });

  async function respond(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? "/", "http://runner.invalid");
      const match = matchRoute(compiled, req.method ?? "GET", url.pathname);
      if (!match?.route.public && !isAuthorized(req.headers.authorization, expected)) {
        throw new AppError("UNAUTHENTICATED", "A valid runner token is required.", { status: 401 });
      }
      if (!match) throw new AppError("NOT_FOUND", "No such route.", { status: 404 });
      const ctx: RouteContext = {
        req,
        url,
        params: match.params,
        json: () => readJson(req, maxBodyBytes),
      };
      const result = await match.route.handle(ctx);
      send(res, result.status ?? 200, result.body);
    } catch (error) {
      if (isAppError(error)) {
        send(res, error.status, error.toJSON());
        return;
      }
      options.onError?.(error, req);
      send(res, 500, new AppError("INTERNAL", "Internal error in the copy runner.").toJSON());
    }
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

// Comparing fixed-length digests keeps the comparison constant-time whatever the presented length.
function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

function isAuthorized(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer (.+)$/.exec(header ?? "");
  return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), expected);
}

function splitPath(path: string): string[] {
  return path.split("/").filter((s) => s.length > 0);
}

function matchRoute(
  routes: CompiledRoute[],
  method: string,
  pathname: string,
): { route: Route; params: Record<string, string> } | undefined {
  const parts = splitPath(pathname);
  for (const { route, segments } of routes) {
    if (route.method !== method || segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const ok = segments.every((segment, i) => {
      const part = parts[i] ?? "";
      if (segment.startsWith(":")) {
        params[segment.slice(1)] = decodeSegment(part);
        return true;
      }
      return segment === part;
    });
    if (ok) return { route, params };
  }
  return undefined;
}

function decodeSegment(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch (cause) {
    throw new AppError("BAD_REQUEST", "Malformed percent-encoding in the path.", { status: 400, cause });
  }
}

async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      throw new AppError("PAYLOAD_TOO_LARGE", `Request body exceeds ${maxBytes} bytes.`, { status: 413 });
    }
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
  } catch (cause) {
    throw new AppError("BAD_REQUEST", "Request body is not valid JSON.", { status: 400, cause });
  }
}
