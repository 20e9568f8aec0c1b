// Secrets are not in wrangler.toml, so `wrangler types` cannot see them.
declare namespace Cloudflare {
  interface Env {
    ENCRYPTION_KEY: string;
    SESSION_SECRET: string;
    RUNNER_TOKEN: string;
  }
}
