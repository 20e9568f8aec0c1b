import { connectors } from "$lib/api";
import { loadError } from "$lib/load-error";
import type { PageLoad } from "./$types";

export const load = (async ({ url }) => {
  try {
    return { page: await connectors.list({ limit: 50, cursor: url.searchParams.get("cursor") }) };
  } catch (e) {
    loadError(e, url);
  }
}) satisfies PageLoad;
