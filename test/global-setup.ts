import type { TestProject } from "vitest/node";
import { startTestPostgres } from "./support/test-postgres";
import { startWsProxy } from "./support/ws-proxy";

declare module "vitest" {
  export interface ProvidedContext {
    pgUrl: string;
    /** `wsProxy` for @neondatabase/serverless: a WebSocket→TCP proxy to loopback PostgreSQL. */
    neonProxy: string;
  }
}

export default async function setup(project: TestProject) {
  const pg = await startTestPostgres();
  const proxy = await startWsProxy();
  project.provide("pgUrl", pg.url);
  project.provide("neonProxy", proxy.address);
  return async () => {
    await proxy.close();
    await pg.stop();
  };
}
