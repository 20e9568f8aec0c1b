import { connectors } from "$lib/api";
import { loadError } from "$lib/load-error";
import type { LayoutLoad } from "./$types";

export const load = (async ({ params, url }) => {
  try {
    return { connector: await connectors.get(params.id) };
  } catch (e) {
    loadError(e, url);
  }
}) satisfies LayoutLoad;
