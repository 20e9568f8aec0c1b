import type { Route } from "../server";
import type { JobRunner } from "./job-runner";

/** `POST /jobs`: take a job and answer 202 at once; the result goes to the job's callback URL. */
export function jobRoutes(runner: JobRunner): Route[] {
  return [
    {
      method: "POST",
      path: "/jobs",
      handle: async (ctx) => ({ status: 202, body: runner.accept(await ctx.json()) }),
    },
    {
      method: "GET",
      path: "/jobs",
      handle: () => ({ body: { active: runner.active } }),
    },
  ];
}
