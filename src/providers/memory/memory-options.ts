/**
 * Options of the memory provider, validated once when the factory is made.
 * The timings are those of the PostgreSQL provider; tests shorten them to
 * watch failover in milliseconds.
 */
import { ValidationError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { MembershipSignals } from '../../core/membership/allocated-membership.js';

export interface MemoryOptions {
  /**
   * How often the leader looks for dead members, and candidates for a
   * vacant leadership. @defaultValue 250
   */
  allocatorTickMs?: number;
  /**
   * A leader that stops renewing its lease (its provider was killed) is
   * replaced after this long; one that closes resigns at once. At least
   * twice `allocatorTickMs`, since the lease is renewed on ticks.
   * @defaultValue 5000
   */
  leaderTimeoutMs?: number;
  /** Where the allocator and the members log. @defaultValue millrace's default logger */
  logger?: Logger;
  /** Hears every provider's changes of leadership and every rebalance, so tests wait on them. */
  signals?: MembershipSignals;
}

export interface ResolvedMemoryOptions {
  readonly allocatorTickMs: number;
  readonly leaderTimeoutMs: number;
  readonly logger: Logger | undefined;
  readonly signals: MembershipSignals | undefined;
}

export function resolveMemoryOptions(options: MemoryOptions = {}): ResolvedMemoryOptions {
  const allocatorTickMs = milliseconds('allocatorTickMs', options.allocatorTickMs, 250);
  const leaderTimeoutMs = milliseconds('leaderTimeoutMs', options.leaderTimeoutMs, 5000);
  if (leaderTimeoutMs < 2 * allocatorTickMs) {
    throw new ValidationError(
      `leaderTimeoutMs (${leaderTimeoutMs}) must be at least twice allocatorTickMs (${allocatorTickMs}): the leader renews its lease on ticks`,
      { reason: 'invalid_option', details: { option: 'leaderTimeoutMs' } },
    );
  }
  return { allocatorTickMs, leaderTimeoutMs, logger: options.logger, signals: options.signals };
}

function milliseconds(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > 3_600_000) {
    throw new ValidationError(
      `memory option ${name} must be an integer from 1 to 3600000 (milliseconds), got ${JSON.stringify(value)}`,
      { reason: 'invalid_option', details: { option: name } },
    );
  }
  return value;
}
