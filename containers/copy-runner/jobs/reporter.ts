import type { RunnerEvent, RunnerEventBatch } from "../../../engine/jobs/protocol";
import type { LogFields, Logger } from "../../../engine/log/logger";

export interface ReporterOptions {
  token: string;
  log: Logger;
  /** How long a final report is retried before giving up (the coordinator's lease then retries the job). */
  giveUpAfterMs?: number;
}

/**
 * Posts events to the coordinator's callback URL, one event or a RunnerEventBatch per request. Progress
 * is best effort; a final result is retried with backoff, because losing it costs a lease timeout and a
 * re-copy (correct, but slow).
 */
export class Reporter {
  constructor(private readonly options: ReporterOptions) {}

  /**
   * Best effort. Returns the coordinator's answer: false when it no longer wants this attempt (superseded,
   * or the run ended), null when the report did not get through.
   */
  async progress(url: string, event: RunnerEvent): Promise<boolean | null> {
    const accepted = (await this.tryPost(url, event))?.accepted;
    return typeof accepted === "boolean" ? accepted : null;
  }

  /** Best effort, as `progress`: the answer per event, in order (null where it says nothing); null when it did not get through. */
  async progressBatch(url: string, batch: RunnerEventBatch): Promise<(boolean | null)[] | null> {
    const accepted = (await this.tryPost(url, batch))?.accepted;
    if (!Array.isArray(accepted)) return null;
    return batch.events.map((_, i) => (typeof accepted[i] === "boolean" ? (accepted[i] as boolean) : null));
  }

  final(url: string, event: RunnerEvent): Promise<void> {
    return this.deliver(url, event, { attemptId: event.attemptId });
  }

  finalBatch(url: string, batch: RunnerEventBatch): Promise<void> {
    return this.deliver(url, batch, { attemptIds: batch.events.map((e) => e.attemptId) });
  }

  private async tryPost(url: string, body: RunnerEvent | RunnerEventBatch): Promise<{ accepted?: unknown } | null> {
    try {
      return (await this.post(url, body)) as { accepted?: unknown } | null;
    } catch (e) {
      this.options.log.debug("progress report failed", { error: e });
      return null;
    }
  }

  private async deliver(url: string, body: RunnerEvent | RunnerEventBatch, fields: LogFields): Promise<void> {
    const deadline = Date.now() + (this.options.giveUpAfterMs ?? 5 * 60_000);
    for (let attempt = 0; ; attempt++) {
      try {
        await this.post(url, body);
        return;
      } catch (e) {
        if (Date.now() > deadline) {
          this.options.log.error("giving up reporting a job result", { ...fields, error: e });
          return;
        }
        await new Promise((r) => setTimeout(r, Math.min(10_000, 200 * 2 ** attempt)));
      }
    }
  }

  private async post(url: string, body: RunnerEvent | RunnerEventBatch): Promise<unknown> {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${this.options.token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`callback answered ${res.status}`);
    }
    return res.json().catch(() => null);
  }
}
