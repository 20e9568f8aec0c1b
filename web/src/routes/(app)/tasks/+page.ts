import { connectors, listAll, tasks } from "$lib/api";
import { loadError } from "$lib/load-error";
import type { PageLoad } from "./$types";

export const load = (async ({ url }) => {
  try {
    const [page, all] = await Promise.all([tasks.list({ limit: 50, cursor: url.searchParams.get("cursor") }), listAll(connectors.list)]);
    return { page, connectorNames: Object.fromEntries(all.map((c) => [c.id, c.name])) as Record<string, string> };
  } catch (e) {
    loadError(e, url);
  }
}) satisfies PageLoad;
