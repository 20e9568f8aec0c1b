import type { TestProject } from "vitest/node";
import { startTestPostgres } from "./support/test-postgres";

declare module "vitest" {
  export interface ProvidedContext {
    pgUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const pg = await startTestPostgres();
  project.provide("pgUrl", pg.url);
  return async () => {
    await pg.stop();
  };
}
