import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  DEFAULT_BACKOFF,
  type BackoffPolicy,
} from '../../src/core/consumer/backoff.js';

const exponential: BackoffPolicy = { type: 'exponential', baseMs: 100, capMs: 5_000 };

describe('exponential backoff with jitter', () => {
  it('doubles the step with each attempt', () => {
    const top = (attempt: number) => backoffDelay(exponential, attempt, () => 1);
    expect([1, 2, 3, 4, 5].map(top)).toEqual([100, 200, 400, 800, 1600]);
  });

  it('spans half a step to a whole step', () => {
    expect(backoffDelay(exponential, 3, () => 0)).toBe(200);
    expect(backoffDelay(exponential, 3, () => 0.5)).toBe(300);
    expect(backoffDelay(exponential, 3, () => 1)).toBe(400);
  });

  it('stays within [step/2, step] for random jitter', () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const step = Math.min(5_000, 100 * 2 ** (attempt - 1));
      for (let i = 0; i < 200; i++) {
        const delay = backoffDelay(exponential, attempt);
        expect(delay).toBeGreaterThanOrEqual(step / 2);
        expect(delay).toBeLessThanOrEqual(step);
      }
    }
  });

  it('never exceeds the cap, even for absurd attempt counts', () => {
    for (const attempt of [7, 8, 50, 1_100, Number.MAX_SAFE_INTEGER]) {
      expect(backoffDelay(exponential, attempt, () => 1)).toBe(5_000);
      expect(backoffDelay(exponential, attempt, () => 0)).toBe(2_500);
    }
  });

  it('treats attempts below 1 as the first', () => {
    expect(backoffDelay(exponential, 0, () => 1)).toBe(100);
    expect(backoffDelay(exponential, -3, () => 1)).toBe(100);
  });

  it('never collapses to zero', () => {
    expect(backoffDelay({ type: 'exponential', baseMs: 1, capMs: 1 }, 1, () => 0)).toBeGreaterThan(
      0,
    );
  });

  it('defaults to 100 ms up to 30 s', () => {
    expect(DEFAULT_BACKOFF).toEqual({ type: 'exponential', baseMs: 100, capMs: 30_000 });
  });
});

describe('fixed backoff', () => {
  it('waits the same delay every time, without jitter', () => {
    const fixed: BackoffPolicy = { type: 'fixed', delayMs: 250 };
    for (const attempt of [1, 2, 10, 1000]) {
      expect(backoffDelay(fixed, attempt, () => 0)).toBe(250);
      expect(backoffDelay(fixed, attempt, () => 1)).toBe(250);
    }
    expect(backoffDelay({ type: 'fixed', delayMs: 0 }, 3)).toBe(0);
  });
});
