import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ALLOCATOR_TICK_MS,
  DEFAULT_LEADER_TIMEOUT_MS,
  resolveAllocatorTiming,
} from '../../src/core/kit/allocation/allocator-timing.js';
import { ValidationError, pglite, postgres } from '../../src/index.js';
import { memory } from '../../src/testing.js';

describe('allocator timing options', () => {
  it('defaults to a leader lease no longer than the shortest recommended session timeout', () => {
    expect(resolveAllocatorTiming({}, 'postgres')).toEqual({
      allocatorTickMs: DEFAULT_ALLOCATOR_TICK_MS,
      leaderTimeoutMs: DEFAULT_LEADER_TIMEOUT_MS,
    });
    expect(DEFAULT_LEADER_TIMEOUT_MS).toBeLessThanOrEqual(2000);
  });

  it.each([
    [{ allocatorTickMs: 0 }, 'allocatorTickMs'],
    [{ allocatorTickMs: 1.5 }, 'allocatorTickMs'],
    [{ leaderTimeoutMs: -1 }, 'leaderTimeoutMs'],
    [{ leaderTimeoutMs: '1000' as unknown as number }, 'leaderTimeoutMs'],
    [{ allocatorTickMs: 1000, leaderTimeoutMs: 1500 }, 'leaderTimeoutMs'],
  ])('refuses %j with a typed error naming %s', (options, option) => {
    for (const make of [
      () => postgres({ connectionString: 'postgres://nowhere/x', ...options }),
      () => pglite(options),
      () => memory(options),
    ]) {
      expect(make).toThrow(ValidationError);
      try {
        make();
      } catch (error) {
        expect((error as ValidationError).details).toEqual({ option });
      }
    }
  });
});
