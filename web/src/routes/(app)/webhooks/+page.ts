import { webhooks } from "$lib/api";
import { loadError } from "$lib/load-error";
import type { PageLoad } from "./$types";

export const load = (async ({ url }) => {
  try {
    // At most 25 per tenant (WEBHOOK_LIMIT_REACHED), so one page holds them all; the cursor is for safety.
    return { page: await webhooks.list({ limit: 100, cursor: url.searchParams.get("cursor") }) };
  } catch (e) {
    loadError(e, url);
  }
}) satisfies PageLoad;
