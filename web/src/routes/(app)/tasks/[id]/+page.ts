import { connectors, listAll, tasks } from "$lib/api";
import { loadError } from "$lib/load-error";
import type { PageLoad } from "./$types";

export const load = (async ({ params, url }) => {
  try {
    const [task, runs, all] = await Promise.all([tasks.get(params.id), tasks.runs(params.id, { limit: 20 }), listAll(connectors.list)]);
    return { task, runs, connectorNames: Object.fromEntries(all.map((c) => [c.id, c.name])) as Record<string, string> };
  } catch (e) {
    loadError(e, url);
  }
}) satisfies PageLoad;
