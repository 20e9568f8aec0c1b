import type { Database } from "./db/client";
import type { Logger } from "../../engine/log/logger";

/** Who is calling: a signed-in user (session cookie) or an API key, always within one tenant. */
export interface Principal {
  tenantId: string;
  userId: string | null;
  apiKeyId: string | null;
}

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    db: Database;
    log: Logger;
    principal: Principal;
  };
}
