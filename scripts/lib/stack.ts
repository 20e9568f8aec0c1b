import type { Log } from "./log";

export interface Stoppable {
  name: string;
  stop(): Promise<void>;
}

/**
 * Everything the local stack started, stopped in reverse start order (wrangler before the runner before
 * PostgreSQL, so nothing loses its database mid-request). `stop` is idempotent and never rejects.
 */
export class Stack {
  private readonly parts: Stoppable[] = [];
  private stopping: Promise<boolean> | undefined;
  private stopped = false;

  constructor(private readonly log: Log) {}

  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  /** Registers a part; the returned function unregisters it (for steps that finish on their own). */
  add(part: Stoppable): () => void {
    if (this.stopped) {
      // Started by a step that raced the shutdown: stop it at once rather than leave it behind.
      void part.stop().catch(() => {});
      throw new Error(`${part.name} started after the local stack stopped`);
    }
    this.parts.push(part);
    return () => {
      const i = this.parts.indexOf(part);
      if (i >= 0) this.parts.splice(i, 1);
    };
  }

  /** Resolves true when every part stopped cleanly. */
  stop(): Promise<boolean> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async stopAll(): Promise<boolean> {
    let clean = true;
    // Popping (not iterating a copy) also stops parts a racing startup step adds meanwhile.
    for (let part = this.parts.pop(); part; part = this.parts.pop()) {
      this.log(`stopping ${part.name}`);
      try {
        await part.stop();
      } catch (error) {
        clean = false;
        this.log(`could not stop ${part.name}: ${(error as Error).message}`);
      }
    }
    this.stopped = true;
    return clean;
  }
}
