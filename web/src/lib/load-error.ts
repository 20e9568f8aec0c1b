/**
 * Errors inside `load` functions: 401 redirects to /login, everything else becomes SvelteKit's error page
 * with the API's code kept in the message.
 */
import { error, redirect } from "@sveltejs/kit";
import { asApiError } from "./handle-error";

export function loadError(e: unknown, url: URL): never {
  const err = asApiError(e);
  if (err.status === 401) redirect(307, `/login?next=${encodeURIComponent(url.pathname + url.search)}`);
  error(err.status >= 400 ? err.status : 500, { message: err.message, code: err.code });
}
