import { fileURLToPath } from "node:url";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

/** The repository root: every path below is relative to it (tests run from there: `npm test`). */
const root = fileURLToPath(new URL("..", import.meta.url));

export default defineConfig({
  root,
  test: {
    projects: [
      {
        test: {
          name: "node",
          include: ["engine/**/*.test.ts", "containers/**/*.test.ts", "scripts/**/*.test.ts", "test/node/**/*.test.ts", "test/e2e/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        plugins: [
          cloudflareTest(async ({ inject }) => ({
            main: `${root}worker/src/index.ts`,
            wrangler: { configPath: `${root}wrangler.toml` },
            miniflare: {
              bindings: {
                ENVIRONMENT: "test",
                LOG_LEVEL: "warn",
                ENCRYPTION_KEY: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
                SESSION_SECRET: "test-session-secret",
                RUNNER_TOKEN: "test-runner-token",
                // No runner in this project: queued jobs find nobody and are redelivered later, while
                // tests play the runner by calling the coordinator directly.
                COPY_RUNNER_URL: "http://127.0.0.1:9/",
                TEST_PG_URL: inject("pgUrl"),
                NEON_WS_PROXY: inject("neonProxy"),
                TEST_MIGRATIONS: await readD1Migrations(`${root}migrations`),
              },
            },
          })),
        ],
        test: {
          name: "workers",
          include: ["worker/**/*.test.ts", "durable-objects/**/*.test.ts", "test/workers/**/*.test.ts"],
          globalSetup: ["test/global-setup.ts"],
          setupFiles: ["test/workers/apply-migrations.ts"],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "web",
          include: ["web/src/**/*.test.ts"],
          environment: "node",
        },
      },
    ],
  },
});
