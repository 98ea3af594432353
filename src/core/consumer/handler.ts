import type { Event } from '../event.js';
import type { JsonValue } from '../json.js';
import type { Logger } from '../logger.js';

/** `Transaction`: the provider's transaction type (see Provider). */
export interface HandlerContext<Transaction = unknown> {
  readonly consumer: string;
  /** The member (process instance) handling the event. */
  readonly member: string;
  readonly partition: number;
  /** The assignment generation under which the event is handled. */
  readonly generation: number;
  /** 1 on the first attempt. */
  readonly attempt: number;
  /**
   * Aborted when the handler must give up: it ran past `ackTimeoutMs` (the
   * attempt has failed already), or the consumer is stopping past its
   * timeout.
   */
  readonly signal: AbortSignal;
  /**
   * Aborted when this member stops working the event's partition: its reason
   * is `drain` (a handover or a stop: running handlers may still finish) or
   * `abandon` (the partition is another member's already; whatever this
   * handler does will not count). The running handler is not failed by it.
   */
  readonly partitionStop: AbortSignal;
  readonly logger: Logger;
  /**
   * With `delivery: 'effectively-once'`: the transaction that will store this
   * event's position (a `pg` client inside BEGIN, or a PGlite transaction).
   * Write through it and the writes count once; they roll back with a failed
   * attempt. Undefined otherwise.
   */
  readonly transaction: Transaction | undefined;
}

/**
 * What a handler may return instead of throwing: try again after a delay
 * (an attempt, counted against `maxAttempts`), give up now (a dead letter),
 * or cancel (the event needs no handling; recorded as cancelled).
 */
export type Decision =
  | { readonly decision: 'retry'; readonly afterMs: number; readonly reason?: string | undefined }
  | { readonly decision: 'dead-letter'; readonly reason?: string | undefined }
  | { readonly decision: 'cancel'; readonly reason?: string | undefined };

/** Try this event again after `afterMs` (its other attempts counted as usual). */
export function retryAfter(afterMs: number, reason?: string): Decision {
  if (!Number.isSafeInteger(afterMs) || afterMs < 0) {
    throw new RangeError(`retryAfter needs a whole number of milliseconds >= 0, got ${afterMs}`);
  }
  return { decision: 'retry', afterMs, reason };
}

/** Give up on this event now: it becomes a dead letter, to inspect and retry later. */
export function deadLetter(reason?: string): Decision {
  return { decision: 'dead-letter', reason };
}

/** This event needs no handling: it is recorded as cancelled and the consumer moves on. */
export function cancel(reason?: string): Decision {
  return { decision: 'cancel', reason };
}

export function isDecision(value: unknown): value is Decision {
  if (typeof value !== 'object' || value === null) return false;
  const decision = (value as { decision?: unknown }).decision;
  return decision === 'retry' || decision === 'dead-letter' || decision === 'cancel';
}

/**
 * Handles one event. Returning (nothing) completes it; throwing (or
 * rejecting) fails the attempt, to be retried with backoff; returning a
 * Decision says what to do without throwing.
 */
export type Handler<Data = JsonValue, Transaction = unknown> = (
  event: Event<Data>,
  context: HandlerContext<Transaction>,
) => void | Decision | Promise<void | Decision>;
