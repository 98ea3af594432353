/**
 * What follows an attempt: done, another attempt later, a dead letter, or a
 * cancellation. Pure, so every rule is unit-tested on its own.
 */
import type { DeliveryError } from '../contracts/deliveries.js';
import type { AttemptResult } from './attempt.js';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import { isDecision } from './handler.js';

export type Outcome =
  | { readonly kind: 'completed' }
  | { readonly kind: 'retry'; readonly delayMs: number; readonly error: DeliveryError }
  | { readonly kind: 'discard'; readonly error: DeliveryError }
  | { readonly kind: 'cancel'; readonly error: DeliveryError };

export interface OutcomeRules {
  readonly maxAttempts: number;
  readonly retry: BackoffPolicy;
}

/** The last failure as stored: message, a code where the error has one, the stack. */
export function deliveryError(error: unknown): DeliveryError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      message: error.message,
      code: typeof code === 'string' ? code : typeof code === 'number' ? String(code) : error.name,
      stack: error.stack,
    };
  }
  return { message: String(error), code: undefined, stack: undefined };
}

export function decideOutcome(
  result: AttemptResult,
  attempt: number,
  rules: OutcomeRules,
  random = Math.random,
): Outcome {
  const exhausted = attempt >= rules.maxAttempts;
  if (!result.ok) {
    const error = deliveryError(result.error);
    return exhausted
      ? { kind: 'discard', error }
      : { kind: 'retry', delayMs: backoffDelay(rules.retry, attempt, random), error };
  }
  if (!isDecision(result.value)) return { kind: 'completed' };
  const decision = result.value;
  switch (decision.decision) {
    case 'retry': {
      const error = { message: decision.reason ?? 'the handler asked for a retry', code: 'retry' };
      return exhausted
        ? { kind: 'discard', error }
        : { kind: 'retry', delayMs: decision.afterMs, error };
    }
    case 'dead-letter':
      return {
        kind: 'discard',
        error: { message: decision.reason ?? 'dead-lettered by the handler', code: 'dead_letter' },
      };
    case 'cancel':
      return {
        kind: 'cancel',
        error: { message: decision.reason ?? 'cancelled by the handler', code: 'cancelled' },
      };
  }
}
