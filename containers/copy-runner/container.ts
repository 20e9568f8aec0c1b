import { Container } from "@cloudflare/containers";

/** The copy runner as a Cloudflare Container: the same Node program that runs locally as a process. */
export class CopyRunner extends Container<Env> {
  override defaultPort = 8788;
  override sleepAfter = "10m";

  constructor(ctx: DurableObjectState<{}>, env: Env) {
    super(ctx, env);
    this.envVars = { RUNNER_TOKEN: env.RUNNER_TOKEN, HOST: "0.0.0.0", PORT: "8788", LOG_LEVEL: env.LOG_LEVEL, NODE_ENV: "production" };
  }
}
