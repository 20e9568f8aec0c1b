import { OpenAPIHono, z } from "@hono/zod-openapi";
import { AppError } from "../../../engine/errors/app-error";
import type { AppEnv } from "../types";

/** A sub-app whose request validation failures answer 400 VALIDATION_FAILED in the API's error shape. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const issues = result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
        const first = issues[0];
        const message = first ? `Invalid ${first.path || "request"}: ${first.message}` : "Invalid request.";
        throw new AppError("VALIDATION_FAILED", message, { status: 400, details: { issues } });
      }
    },
  });
}

export const ErrorSchema = z
  .object({
    error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
  })
  .openapi("Error");

export function json<T extends z.ZodType>(schema: T, description: string) {
  return { content: { "application/json": { schema } }, description };
}

export const errorResponses = {
  400: json(ErrorSchema, "Invalid input"),
  401: json(ErrorSchema, "Not signed in"),
  404: json(ErrorSchema, "Not found (or another tenant's)"),
} as const;

export const IdParam = z.object({ id: z.string().min(1).max(64).openapi({ param: { name: "id", in: "path" } }) });

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ param: { name: "limit", in: "query" } }),
  cursor: z.string().max(200).optional().openapi({ param: { name: "cursor", in: "query" } }),
});

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}
