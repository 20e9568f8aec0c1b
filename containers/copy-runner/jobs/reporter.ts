import type { RunnerEvent } from "../../../engine/jobs/protocol";
import type { Logger } from "../../../engine/log/logger";

export interface ReporterOptions {
  token: string;
  log: Logger;
  /** How long a final report is retried before giving up (the coordinator's lease then retries the job). */
  giveUpAfterMs?: number;
}

/**
 * Posts events to the coordinator's callback URL. Progress is best effort; a final result is retried
 * with backoff, because losing it costs a lease timeout and a re-copy (correct, but slow).
 */
export class Reporter {
  constructor(private readonly options: ReporterOptions) {}

  /**
   * Best effort. Returns the coordinator's answer: false when it no longer wants this attempt (superseded,
   * or the run ended), null when the report did not get through.
   */
  async progress(url: string, event: RunnerEvent): Promise<boolean | null> {
    try {
      const answer = (await this.post(url, event)) as { accepted?: unknown } | null;
      return typeof answer?.accepted === "boolean" ? answer.accepted : null;
    } catch (e) {
      this.options.log.debug("progress report failed", { error: e });
      return null;
    }
  }

  async final(url: string, event: RunnerEvent): Promise<void> {
    const deadline = Date.now() + (this.options.giveUpAfterMs ?? 5 * 60_000);
    for (let attempt = 0; ; attempt++) {
      try {
        await this.post(url, event);
        return;
      } catch (e) {
        if (Date.now() > deadline) {
          this.options.log.error("giving up reporting a job result", { attemptId: event.attemptId, error: e });
          return;
        }
        await new Promise((r) => setTimeout(r, Math.min(10_000, 200 * 2 ** attempt)));
      }
    }
  }

  private async post(url: string, event: RunnerEvent): Promise<unknown> {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${this.options.token}` },
      body: JSON.stringify(event),
      signal: AbortSignal.timeout(15_000),
    });
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`callback answered ${res.status}`);
    }
    return res.json().catch(() => null);
  }
}
