import { connectors, listAll } from "$lib/api";
import { loadError } from "$lib/load-error";
import type { PageLoad } from "./$types";

export const load = (async ({ url }) => {
  try {
    return { connectors: await listAll(connectors.list) };
  } catch (e) {
    loadError(e, url);
  }
}) satisfies PageLoad;
