import { z } from "@hono/zod-openapi";
import { AppError } from "../../../engine/errors/app-error";
import { type ConnectionParts, parseConnectionUrl } from "./connection-url";

const fields = {
  url: z.string().max(2000).optional().openapi({ description: "postgres://user:password@host:5432/database?sslmode=require" }),
  host: z.string().trim().min(1).max(253).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  database: z.string().min(1).max(63).optional(),
  user: z.string().min(1).max(63).optional(),
  password: z.string().max(1000).optional(),
  sslmode: z.enum(["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]).optional(),
};

export const ConnectorCreate = z
  .object({
    name: z.string().trim().min(1).max(100),
    kind: z.enum(["postgres", "neon"]).default("postgres"),
    ...fields,
  })
  .strict()
  .openapi("ConnectorCreate", { description: "Give either `url`, or `host`, `database`, `user` (and `password`)." });

export const ConnectorUpdate = z
  .object({ name: z.string().trim().min(1).max(100).optional(), ...fields })
  .strict()
  .openapi("ConnectorUpdate", { description: "A new `url` replaces the connection; single fields change only themselves." });

type FieldInput = { url?: string; host?: string; port?: number; database?: string; user?: string; password?: string; sslmode?: string };

const hasFields = (i: FieldInput) =>
  i.host !== undefined || i.port !== undefined || i.database !== undefined || i.user !== undefined || i.password !== undefined || i.sslmode !== undefined;

/**
 * The connection a create or update asks for: a whole URL, or discrete fields laid over `base`
 * (the current connection when updating). Returns null when the input changes nothing about it.
 */
export function resolveConnection(input: FieldInput, base: ConnectionParts | null): ConnectionParts | null {
  if (input.url !== undefined) {
    if (hasFields(input)) {
      throw new AppError("VALIDATION_FAILED", "Give either `url` or the discrete fields, not both.", { status: 400 });
    }
    return parseConnectionUrl(input.url);
  }
  if (!hasFields(input)) {
    if (base) return null;
    throw new AppError("VALIDATION_FAILED", "Give `url`, or `host`, `database` and `user`.", { status: 400 });
  }
  const host = input.host ?? base?.host;
  const database = input.database ?? base?.database;
  const user = input.user ?? base?.user;
  if (!host || !database || !user) {
    throw new AppError("VALIDATION_FAILED", "`host`, `database` and `user` are required.", { status: 400 });
  }
  const params = (base?.params ?? []).filter(([k]) => k !== "sslmode");
  const sslmode = input.sslmode ?? base?.params.find(([k]) => k === "sslmode")?.[1];
  if (sslmode) params.push(["sslmode", sslmode]);
  return { host, port: input.port ?? base?.port ?? 5432, database, user, password: input.password ?? base?.password ?? "", params };
}
