import type { TestProject } from "vitest/node";
import { startTestPostgres } from "./support/test-postgres";
import { startWebhookReceiver } from "./support/webhook-receiver";
import { startWsProxy } from "./support/ws-proxy";

declare module "vitest" {
  export interface ProvidedContext {
    pgUrl: string;
    /** `wsProxy` for @neondatabase/serverless: a WebSocket→TCP proxy to loopback PostgreSQL. */
    neonProxy: string;
    /** Origin of a test webhook receiver (support/webhook-receiver.ts). */
    webhookReceiver: string;
  }
}

export default async function setup(project: TestProject) {
  const pg = await startTestPostgres();
  const proxy = await startWsProxy();
  const receiver = await startWebhookReceiver();
  project.provide("pgUrl", pg.url);
  project.provide("neonProxy", proxy.address);
  project.provide("webhookReceiver", receiver.url);
  return async () => {
    await receiver.close();
    await proxy.close();
    await pg.stop();
  };
}
