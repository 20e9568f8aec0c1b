import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { AppError } from "../../../engine/errors/app-error";
import type { AppEnv } from "../types";

export const notFound = (what: string) => new AppError("NOT_FOUND", `${what} not found.`, { status: 404 });
export const badRequest = (code: string, message: string, details?: unknown) =>
  new AppError(code, message, { status: 400, details });
export const conflict = (code: string, message: string) => new AppError(code, message, { status: 409 });

/** D1 reports a unique-index violation in the message of the driver error drizzle wraps as `cause`. */
export function isUniqueViolation(e: unknown): boolean {
  for (let err = e as { message?: string; cause?: unknown } | undefined, depth = 0; err && depth < 4; err = err.cause as typeof err, depth++) {
    if (String(err.message ?? "").includes("UNIQUE constraint failed")) return true;
  }
  return false;
}

/** What to log of an unexpected error: names and messages only. drizzle's "Failed query" text also lists
 * the bound parameters, which may be secrets' digests or ciphertexts, so everything from "params:" is cut. */
export function describeError(e: unknown): Record<string, unknown> {
  const strip = (m: unknown) => String(m ?? "").split(/\nparams:/)[0]!.slice(0, 2000);
  const err = e as { name?: string; message?: string; cause?: { name?: string; message?: string } };
  return { name: err?.name, message: strip(err?.message), cause: err?.cause ? { name: err.cause.name, message: strip(err.cause.message) } : undefined };
}

/** Renders every error as DESIGN.md §7's shape. Unknown errors are logged and answered without detail. */
export function renderError(err: Error, c: Context<AppEnv>): Response {
  if (err instanceof AppError) {
    if (err.status >= 500) c.var.log?.error("request failed", { code: err.code, error: describeError(err) });
    return c.json(err.toJSON(), err.status as 400);
  }
  if (err instanceof HTTPException) {
    const status = err.status;
    const code = status === 400 ? "BAD_REQUEST" : status === 401 ? "UNAUTHENTICATED" : status === 413 ? "PAYLOAD_TOO_LARGE" : "HTTP_ERROR";
    return c.json({ error: { code, message: err.message || "Bad request." } }, status);
  }
  c.var.log?.error("unhandled error", { error: describeError(err) });
  return c.json({ error: { code: "INTERNAL", message: "Something went wrong on our side." } }, 500);
}
