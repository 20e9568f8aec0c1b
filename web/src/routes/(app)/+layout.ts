import { auth } from "$lib/api";
import { loadError } from "$lib/load-error";
import type { LayoutLoad } from "./$types";

export const load = (async ({ url }) => {
  try {
    return { me: await auth.me() };
  } catch (e) {
    loadError(e, url);
  }
}) satisfies LayoutLoad;
