import { Container } from "@cloudflare/containers";

/** The copy runner as a Cloudflare Container: the same Node program that runs locally as a process. */
export class CopyRunner extends Container<Env> {
  override defaultPort = 8788;
  override sleepAfter = "10m";

  constructor(ctx: DurableObjectState<{}>, env: Env) {
    super(ctx, env);
    this.envVars = { RUNNER_TOKEN: env.RUNNER_TOKEN, HOST: "0.0.0.0", PORT: "8788", LOG_LEVEL: env.LOG_LEVEL, NODE_ENV: "production" };
  }

  /**
   * Hazard: only requests to the container renew its activity, and a change stream (or a long index
   * build) runs for hours without one — the runner only calls out. So the container sleeps only when
   * the runner says it has no job running; otherwise the timeout is renewed and asked again later.
   */
  override async onActivityExpired(): Promise<void> {
    if (!this.ctx.container?.running) return;
    if (await this.runnerBusy()) return;
    await this.stop();
  }

  private async runnerBusy(): Promise<boolean> {
    try {
      const res = await this.containerFetch(
        new Request("http://copy-runner/jobs", { headers: { authorization: `Bearer ${this.env.RUNNER_TOKEN}` } }),
        this.defaultPort,
      );
      if (!res.ok) return false;
      const body = (await res.json()) as { active?: number };
      return (body.active ?? 0) > 0;
    } catch {
      // An unreachable runner has nothing running worth keeping the container for.
      return false;
    }
  }
}
