/**
 * Retention: pruning old events from the log. A prune never takes an event a
 * consumer has still to handle unless told to (`force`), and says which
 * consumer kept it from going further.
 */
import type { Position } from '../position.js';
import type { EventSequence } from '../sequence.js';

export interface PruneRequest {
  /** Absent: every category, each on its own (`keepLast` counts per category). */
  readonly category?: string;
  /** Prune only events older than this. */
  readonly before?: Date;
  /** Keep at least the newest N events of each category. */
  readonly keepLast?: number;
  /** Prune past the positions of consumers that have not handled the events yet. */
  readonly force?: boolean;
}

/** A consumer whose position kept a prune from reaching its target. */
export interface RetentionHold {
  readonly consumer: string;
  readonly sequence: EventSequence;
  /** Its slowest partition. */
  readonly partition: number;
  /** That partition's committed position: it and every later event are kept. */
  readonly position: Position;
}

export interface CategoryPruneResult {
  readonly category: string;
  readonly deleted: number;
  /**
   * Events of the category below this position are gone, but for each
   * stream's newest event (kept so versions continue) and events a stream
   * consumer still needs; from it on, every event is kept.
   */
  readonly prunedBefore: Position;
  /** Where the request alone would have pruned to; above `prunedBefore` when a consumer held it back. */
  readonly target: Position;
  /** Consumers that held this category back (a log or category consumer, and stream consumers). */
  readonly heldBy: readonly RetentionHold[];
}

export interface PruneResult {
  readonly deleted: number;
  /** The lowest `prunedBefore` of the categories pruned ('0' when there were none). */
  readonly prunedBefore: Position;
  readonly categories: readonly CategoryPruneResult[];
  /** Every consumer that held some category back, once each. */
  readonly heldBy: readonly RetentionHold[];
}

/**
 * Present on providers that can prune. Idempotent: pruning twice with the
 * same request deletes nothing the second time, so concurrent prunes are safe.
 */
export interface RetentionStore {
  prune(request: PruneRequest): Promise<PruneResult>;
}
