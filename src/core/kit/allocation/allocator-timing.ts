/**
 * The allocator's two timings, shared by every provider that elects a
 * leader: how often the leader looks for dead members (and candidates for a
 * vacant leadership), and how long a silent leader keeps its place.
 */
import { ValidationError } from '../../errors.js';

export interface AllocatorTimingOptions {
  /** @defaultValue 250 */
  allocatorTickMs?: number;
  /**
   * While no one leads, no dead member's partitions move, so this stays at or
   * below the smallest consumer `sessionTimeoutMs`. At least twice
   * `allocatorTickMs`: the leader renews on ticks. @defaultValue 1500
   */
  leaderTimeoutMs?: number;
}

export interface AllocatorTiming {
  readonly allocatorTickMs: number;
  readonly leaderTimeoutMs: number;
}

export const DEFAULT_ALLOCATOR_TICK_MS = 250;
export const DEFAULT_LEADER_TIMEOUT_MS = 1500;

export function resolveAllocatorTiming(
  options: AllocatorTimingOptions,
  provider: string,
): AllocatorTiming {
  const allocatorTickMs = milliseconds(
    provider,
    'allocatorTickMs',
    options.allocatorTickMs,
    DEFAULT_ALLOCATOR_TICK_MS,
  );
  const leaderTimeoutMs = milliseconds(
    provider,
    'leaderTimeoutMs',
    options.leaderTimeoutMs,
    DEFAULT_LEADER_TIMEOUT_MS,
  );
  if (leaderTimeoutMs < 2 * allocatorTickMs) {
    throw new ValidationError(
      `leaderTimeoutMs (${leaderTimeoutMs}) must be at least twice allocatorTickMs (${allocatorTickMs}): the leader renews its lease on ticks`,
      { reason: 'invalid_option', details: { option: 'leaderTimeoutMs' } },
    );
  }
  return { allocatorTickMs, leaderTimeoutMs };
}

function milliseconds(provider: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > 3_600_000) {
    throw new ValidationError(
      `${provider} option ${name} must be an integer from 1 to 3600000 (milliseconds), got ${JSON.stringify(value)}`,
      { reason: 'invalid_option', details: { option: name } },
    );
  }
  return value;
}
