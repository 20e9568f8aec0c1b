import { runs, tasks } from "$lib/api";
import { loadError } from "$lib/load-error";
import type { PageLoad } from "./$types";

export const load = (async ({ params, url }) => {
  try {
    const run = await runs.get(params.id);
    return { run, task: await tasks.get(run.taskId) };
  } catch (e) {
    loadError(e, url);
  }
}) satisfies PageLoad;
