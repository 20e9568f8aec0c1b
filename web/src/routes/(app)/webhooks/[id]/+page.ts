import { webhooks } from "$lib/api";
import { loadError } from "$lib/load-error";
import type { PageLoad } from "./$types";

// Only the webhook: its deliveries are fetched by DeliveryList, with states of their own.
export const load = (async ({ params, url }) => {
  try {
    return { webhook: await webhooks.get(params.id) };
  } catch (e) {
    loadError(e, url);
  }
}) satisfies PageLoad;
