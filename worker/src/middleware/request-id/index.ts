import { createMiddleware } from "hono/factory";
import { createLogger } from "../../../../engine/log/logger";
import { openDatabase } from "../../db/client";
import type { AppEnv } from "../../types";

/** Gives each request an id (echoed as `X-Request-Id`), a logger carrying it, and the D1 client. */
export const requestContext = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const given = c.req.header("x-request-id");
    const requestId = given && /^[\w.-]{1,64}$/.test(given) ? given : crypto.randomUUID();
    c.set("requestId", requestId);
    c.set("log", createLogger("api", c.env).child({ requestId }));
    c.set("db", openDatabase(c.env.DB));
    c.header("X-Request-Id", requestId);
    await next();
  });
