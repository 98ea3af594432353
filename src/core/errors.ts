/**
 * One error root for everything millrace throws on purpose. Callers and retry
 * machinery branch on `code` and `retriable`, never on message text.
 */
export type ErrorCode =
  | 'validation'
  | 'conflict'
  | 'connection'
  | 'not_found'
  | 'fenced'
  | 'unsupported'
  | 'closed'
  | 'timeout'
  | 'unauthorized'
  | 'forbidden'
  | 'overloaded';

export interface ErrorOptions {
  /** A finer-grained, stable reason inside the code, e.g. `payload_too_large`. */
  reason?: string;
  /** Structured facts for logs and HTTP bodies; never required to act. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class MillraceError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly reason: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, retriable: boolean, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = retriable;
    this.reason = options.reason;
    this.details = options.details;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      reason: this.reason,
      message: this.message,
      retriable: this.retriable,
      details: this.details,
    };
  }
}

/** Bad input: a name, subject, payload or option that can never succeed as given. */
export class ValidationError extends MillraceError {
  constructor(message: string, options?: ErrorOptions) {
    super('validation', message, false, options);
  }
}

/**
 * Optimistic concurrency lost: an `expectedVersion` did not hold, an id is
 * already taken, or a concurrent append won the race. Retriable when running
 * the same operation again (in a new transaction) can succeed.
 */
export class ConflictError extends MillraceError {
  constructor(message: string, retriable: boolean, options?: ErrorOptions) {
    super('conflict', message, retriable, options);
  }
}

/** The backend could not be reached or dropped the connection. */
export class ConnectionError extends MillraceError {
  constructor(message: string, options?: ErrorOptions) {
    super('connection', message, true, options);
  }
}

export class NotFoundError extends MillraceError {
  constructor(message: string, options?: ErrorOptions) {
    super('not_found', message, false, options);
  }
}

/** A member acted on a partition it no longer owns (a stale generation). */
export class FencedError extends MillraceError {
  constructor(message: string, options?: ErrorOptions) {
    super('fenced', message, false, options);
  }
}

/** The provider cannot do this; see its `capabilities`. */
export class UnsupportedError extends MillraceError {
  constructor(message: string, options?: ErrorOptions) {
    super('unsupported', message, false, options);
  }
}

/** The instance was closed before or during the call. */
export class ClosedError extends MillraceError {
  constructor(message: string, options?: ErrorOptions) {
    super('closed', message, false, options);
  }
}

/** No credentials, or ones that are not (or no longer) valid: who is asking is unknown. */
export class UnauthorizedError extends MillraceError {
  constructor(message: string, options?: ErrorOptions) {
    super('unauthorized', message, false, options);
  }
}

/** Valid credentials that do not allow this: a key without the scope, another member's token. */
export class ForbiddenError extends MillraceError {
  constructor(message: string, options?: ErrorOptions) {
    super('forbidden', message, false, options);
  }
}

/** Too much at once (a rate limit, a cap on waiting requests): try again after a while. */
export class OverloadedError extends MillraceError {
  /** When to try again, as the answer's Retry-After says. */
  readonly retryAfterMs: number;

  constructor(message: string, retryAfterMs: number, options?: ErrorOptions) {
    super('overloaded', message, true, options);
    this.retryAfterMs = retryAfterMs;
  }
}

export function isMillraceError(error: unknown): error is MillraceError {
  return error instanceof MillraceError;
}

/** A handler ran past the consumer's `ackTimeoutMs`: the attempt failed, its signal was aborted. */
export class AckTimeoutError extends MillraceError {
  constructor(message: string, options?: ErrorOptions) {
    super('timeout', message, true, { reason: 'ack_timeout', ...options });
  }
}
