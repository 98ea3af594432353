/** How long to wait before the next attempt of a failing handler. */
export type BackoffPolicy =
  | {
      readonly type: 'exponential';
      /** Delay before the second attempt. @defaultValue 100 */
      readonly baseMs: number;
      /** Longest delay. @defaultValue 30000 */
      readonly capMs: number;
    }
  | { readonly type: 'fixed'; readonly delayMs: number };

export const DEFAULT_BACKOFF: BackoffPolicy = { type: 'exponential', baseMs: 100, capMs: 30_000 };

/**
 * Delay after `attempt` failed attempts (1-based). Exponential backoff uses
 * "equal jitter": half the exponential step plus a random half, so retries
 * of many events spread out but never collapse to zero.
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random = Math.random): number {
  if (policy.type === 'fixed') return policy.delayMs;
  const step = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + (random() * step) / 2);
}
