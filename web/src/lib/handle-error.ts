/**
 * The one place errors of user actions end up: a 401 sends the user to /login, anything else becomes a
 * toast with the code and, where known, what to do. Returns the error as the API reported it, so a form
 * can also show it inline.
 */
import { goto } from "$app/navigation";
import { ApiError, isApiError } from "./api/client";
import { errorAdvice } from "./error-advice";
import { notify } from "./notifications.svelte";

export function asApiError(error: unknown): ApiError {
  if (isApiError(error)) return error;
  return new ApiError(0, "CLIENT_ERROR", error instanceof Error ? error.message : String(error));
}

export function handleError(error: unknown, context: string, options: { toast?: boolean } = {}): ApiError {
  const e = asApiError(error);
  if (e.status === 401) {
    void goto(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
    return e;
  }
  if (e.code === "CLIENT_ERROR") console.error(context, error);
  if (options.toast !== false) {
    const advice = errorAdvice(e.code);
    notify(`${context}: ${e.message} (${e.code})${advice ? ` ${advice}` : ""}`, "error");
  }
  return e;
}
