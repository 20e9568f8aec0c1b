import { setTimeout as sleep } from "node:timers/promises";

export interface WaitOptions {
  /** Named in the timeout error: "<what> not ready after N s". */
  what: string;
  timeoutMs: number;
  intervalMs?: number;
  /** Settles when waiting is pointless (e.g. the process exited); turns into a rejection. */
  abandonWhen?: Promise<unknown>;
}

/** Polls `check` until it returns true; rejects on timeout or when `abandonWhen` settles first. */
export async function waitUntil(check: () => Promise<boolean>, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let abandoned: string | undefined;
  void options.abandonWhen?.then(
    () => (abandoned = `${options.what} exited before it was ready`),
    (error: unknown) => (abandoned = `${options.what} failed before it was ready: ${(error as Error).message}`),
  );
  for (;;) {
    if (abandoned) throw new Error(abandoned);
    if (await check()) return;
    if (Date.now() >= deadline) throw new Error(`${options.what} not ready after ${options.timeoutMs / 1000} s`);
    await sleep(options.intervalMs ?? 200);
  }
}

/** Whether GET `url` answers 200 within two seconds (connection errors count as no). */
export async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false; // not listening yet, or reset while starting
  }
}
