import { apiKeys } from "$lib/api";
import { loadError } from "$lib/load-error";
import type { PageLoad } from "./$types";

export const load = (async ({ url }) => {
  try {
    return { page: await apiKeys.list({ limit: 100, cursor: url.searchParams.get("cursor") }) };
  } catch (e) {
    loadError(e, url);
  }
}) satisfies PageLoad;
