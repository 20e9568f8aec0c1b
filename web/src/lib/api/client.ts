/**
 * The fetch wrapper under every API call: JSON in and out, the session cookie sent (same origin), and
 * one error type for everything that is not a 2xx answer.
 */

export const API_BASE = "/api/v1";

export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

type Query = Record<string, string | number | undefined | null>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
}

export function apiUrl(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
  const qs = params.toString();
  return `${API_BASE}${path}${qs ? `?${qs}` : ""}`;
}

/** The API's error body, or a stand-in when the answer is not one (a proxy page, an empty body). */
export function toApiError(status: number, body: unknown): ApiError {
  const err = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  if (err && typeof err.code === "string") {
    return new ApiError(status, err.code, typeof err.message === "string" ? err.message : err.code, err.details);
  }
  return new ApiError(status, status >= 500 ? "SERVER_ERROR" : "HTTP_ERROR", `The server answered ${status}.`);
}

let fetchImpl: typeof fetch = (...args) => globalThis.fetch(...args);

/** Tests replace the network here; nothing else calls fetch for the API. */
export function setFetch(f: typeof fetch): void {
  fetchImpl = f;
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (options.body !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  try {
    res = await fetchImpl(apiUrl(path, options.query), {
      method,
      headers,
      credentials: "same-origin",
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (e) {
    if ((e as Error)?.name === "AbortError") throw e;
    throw new ApiError(0, "NETWORK_ERROR", "The server could not be reached. Check your connection and try again.");
  }
  const text = await res.text();
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON (e.g. an HTML error page from a proxy): toApiError reports the status instead.
    }
  }
  if (!res.ok) throw toApiError(res.status, body);
  return body as T;
}
