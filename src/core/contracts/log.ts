import type { Event, PreparedEvent, PublishedEvent } from '../event.js';
import type { Position } from '../position.js';
import type { EventSequence } from '../sequence.js';

/** A slice of a consumer's sequence: events whose stream hashes to `index` of `count`. */
export interface PartitionSlice {
  readonly index: number;
  readonly count: number;
}

export interface ReadRequest {
  readonly sequence: EventSequence;
  /** Read events strictly after this position. */
  readonly after: Position;
  readonly limit: number;
  /** Subject patterns; empty or absent reads every subject. */
  readonly subjects?: readonly string[];
  /** Absent: the whole sequence. */
  readonly partition?: PartitionSlice;
  /**
   * The reader is a consumer that would otherwise poll: a backend whose
   * reads can wait for new events (a Kafka fetch, `XREAD BLOCK`) may hold
   * an empty read a while (a long poll). Absent: answer at once.
   */
  readonly wait?: boolean;
}

export interface ReadPage {
  /** In log order; only events that match the subjects. */
  readonly events: readonly Event[];
  /**
   * Where the next read starts. It moves past events that were scanned but
   * filtered out, so a selective filter does not rescan them.
   */
  readonly next: Position;
  /** The page was cut by `limit`: more readable events may follow at once. */
  readonly hasMore: boolean;
  /**
   * Committed events exist after `next` that are not readable yet, because a
   * transaction that began writing earlier is still open. Read again shortly;
   * they become readable, in order, when it ends.
   */
  readonly pending: boolean;
  /**
   * Reads wait on the backend for new events (a long poll, as a Kafka fetch
   * does): the next read may start at once rather than after the consumer's
   * poll interval, and it returns when events arrive.
   */
  readonly longPoll?: boolean;
}

export interface AppendOptions<Transaction = unknown> {
  /**
   * The caller's own transaction (for PostgreSQL: a `pg` client inside
   * BEGIN, or a PGlite transaction). The events exist if and only if it
   * commits. Needs `capabilities.transactionalPublish`.
   */
  readonly transaction?: Transaction;
}

export interface CountRequest {
  readonly sequence: EventSequence;
  readonly after: Position;
  readonly subjects?: readonly string[];
  readonly partition?: PartitionSlice;
}

/** The log: the append-only ordered sequence of all events of one namespace. */
export interface LogStore<Transaction = unknown> {
  /**
   * Appends in one round trip, atomically: all events or none. Events of one
   * stream get consecutive versions in input order.
   */
  append(
    events: readonly PreparedEvent[],
    options?: AppendOptions<Transaction>,
  ): Promise<PublishedEvent[]>;
  read(request: ReadRequest): Promise<ReadPage>;
  /** The position after which events not yet readable will appear: "the end, now". */
  end(): Promise<Position>;
  /** The position just before the first event at or after `time` (approximate to a transaction). */
  positionAt(time: Date): Promise<Position>;
  /** How many committed events follow `after`, readable or pending (for lag). */
  count(request: CountRequest): Promise<number>;
}
