/**
 * Options of the memory provider, validated once when the factory is made.
 * The timings are those of the PostgreSQL provider; tests shorten them to
 * watch failover in milliseconds.
 */
import {
  resolveAllocatorTiming,
  type AllocatorTiming,
  type AllocatorTimingOptions,
} from '../../core/kit/allocation/allocator-timing.js';
import type { Logger } from '../../core/logger.js';
import type { MembershipSignals } from '../../core/kit/membership/allocated-membership.js';

export interface MemoryOptions extends AllocatorTimingOptions {
  /** Where the allocator and the members log. @defaultValue millrace's default logger */
  logger?: Logger;
  /** Hears every provider's changes of leadership and every rebalance, so tests wait on them. */
  signals?: MembershipSignals;
}

export interface ResolvedMemoryOptions extends AllocatorTiming {
  readonly logger: Logger | undefined;
  readonly signals: MembershipSignals | undefined;
}

export function resolveMemoryOptions(options: MemoryOptions = {}): ResolvedMemoryOptions {
  return {
    ...resolveAllocatorTiming(options, 'memory'),
    logger: options.logger,
    signals: options.signals,
  };
}
