/**
 * What is known about deliveries off the happy path. An event a consumer
 * handles on its first attempt leaves no trace here (its partition's
 * position says it is done); only events that failed get a record: waiting
 * for another attempt (`retryable`), given up on (`discarded`, the dead
 * letters) or `cancelled` by their handler. A record keeps a copy of the
 * event, so a dead letter can be inspected and retried after retention
 * pruned the log.
 */
import type { Event } from '../event.js';
import type { Position } from '../position.js';

export type DeliveryState = 'retryable' | 'discarded' | 'cancelled';

export const DELIVERY_STATES: readonly DeliveryState[] = ['retryable', 'discarded', 'cancelled'];

export interface DeliveryError {
  readonly message: string;
  readonly code?: string | undefined;
  readonly stack?: string | undefined;
}

export interface DeliveryRecord {
  readonly consumer: string;
  readonly partition: number;
  readonly event: Event;
  readonly state: DeliveryState;
  /** Attempts made so far. */
  readonly attempts: number;
  readonly lastError: DeliveryError | null;
  /** `retryable`: when the next attempt is due. */
  readonly scheduleAt: Date | null;
  /**
   * Behind the partition's position: an operator asked to retry a dead
   * letter, and the owning member picks it up apart from the live sequence.
   */
  readonly replay: boolean;
  /** When the first failure was recorded. */
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** What a member writes: the record's new state (created or replaced). */
export type DeliveryUpdate = Omit<DeliveryRecord, 'consumer' | 'createdAt' | 'updatedAt'>;

export interface DeliveryFilter {
  readonly consumer?: string | undefined;
  readonly state?: DeliveryState | undefined;
  /** A subject pattern (`order.*`, `order.>`). */
  readonly subject?: string | undefined;
  /** The last error's code. */
  readonly errorCode?: string | undefined;
  /** Last updated at or after. */
  readonly since?: Date | undefined;
  /** Last updated before. */
  readonly until?: Date | undefined;
  readonly eventId?: string | undefined;
}

export interface DeliveryPage {
  readonly records: readonly DeliveryRecord[];
  /** Pass as `after` for the next page; undefined at the end. */
  readonly next: string | undefined;
}

export interface DeliveryStore {
  /** Creates or replaces records (one per consumer and event). */
  save(consumer: string, updates: readonly DeliveryUpdate[]): Promise<void>;
  /** Forgets records of events that are now done (a retried event succeeded). */
  remove(consumer: string, eventIds: readonly string[]): Promise<void>;
  /** A partition's records after a position: what a member starting on it must know. */
  loadAfter(consumer: string, partition: number, after: Position): Promise<DeliveryRecord[]>;
  /** Replays due now in these partitions, oldest first. */
  dueReplays(
    consumer: string,
    partitions: readonly number[],
    limit: number,
  ): Promise<DeliveryRecord[]>;
  /** Newest first, in pages. */
  list(filter: DeliveryFilter, limit: number, after?: string): Promise<DeliveryPage>;
  /**
   * Makes matching dead letters (and cancelled deliveries) retryable now with
   * their attempts reset, as replays for their partition's owner; returns how
   * many.
   */
  retry(filter: DeliveryFilter): Promise<number>;
  /** Deletes matching dead letters and cancelled deliveries for good; returns how many. */
  discard(filter: DeliveryFilter): Promise<number>;
}
