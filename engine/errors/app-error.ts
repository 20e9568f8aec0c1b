/**
 * The one error type of DTaaS. `code` is a stable SCREAMING_SNAKE noun that clients may rely on;
 * `message` is for people; `retryable` tells the coordinator whether trying again can help.
 * Raw driver text never reaches a client through `message` unfiltered: wrap foreign errors with
 * `classifyError` (engine/errors/classify.ts) at the boundary that knows the context.
 */
export class AppError extends Error {
  override readonly name = "AppError";
  constructor(
    readonly code: string,
    message: string,
    readonly options: {
      status?: number;
      retryable?: boolean;
      details?: unknown;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: options.cause });
  }

  get status(): number {
    return this.options.status ?? 500;
  }

  get retryable(): boolean {
    return this.options.retryable ?? false;
  }

  get details(): unknown {
    return this.options.details;
  }

  /** The wire shape of DESIGN.md §7, also used across Workers RPC (which drops custom properties). */
  toJSON(): ErrorBody {
    const body: ErrorBody = { error: { code: this.code, message: this.message } };
    if (this.details !== undefined) body.error.details = this.details;
    return body;
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
