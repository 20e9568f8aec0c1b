declare namespace Cloudflare {
  interface Env {
    TEST_PG_URL: string;
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
  }
}
