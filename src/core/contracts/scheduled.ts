/**
 * Delayed events: kept outside the log until due, then appended to it by
 * one scheduler at a time (see scheduling/scheduler.ts). Because a delayed
 * event joins its stream only when it is delivered, the log keeps every
 * guarantee it has: positions and versions are assigned at delivery, and
 * per-stream order among delivered events is log order.
 */
import type { LeaderElector, Leadership } from './elector.js';
import type { AppendOptions } from './log.js';
import type { JsonObject, JsonValue } from '../json.js';
import type { PreparedEvent, PublishResult } from '../event.js';

/** A delayed event waiting for its time. */
export interface PendingScheduledEvent {
  readonly id: string;
  readonly stream: string;
  readonly subject: string;
  readonly data: JsonValue;
  readonly metadata: JsonObject;
  readonly deliverAt: Date;
  readonly scheduledAt: Date;
}

/** A waiting event as a listing answers it, with its place in delivery order. */
export interface ListedScheduledEvent extends PendingScheduledEvent {
  /** Pass as `after` to list the events after this one (see scheduled-cursor.ts). */
  readonly cursor: string;
}

export interface ScheduledListRequest {
  /** Only this stream's events; absent: every stream. */
  readonly stream?: string | undefined;
  readonly limit: number;
  /**
   * Only events strictly after this place in delivery order: the `cursor` of
   * an event listed before, already checked (a valid scheduled cursor).
   * Absent: from the first.
   */
  readonly after?: string | undefined;
}

export interface ScheduledEventStore<Transaction = unknown> {
  /**
   * Appends the events due now and keeps the delayed ones (`deliverAt` set),
   * atomically: all or none, in the caller's transaction if given. Answers
   * in input order.
   */
  publish(
    events: readonly PreparedEvent[],
    options?: AppendOptions<Transaction>,
  ): Promise<PublishResult[]>;
  /** Waiting events in delivery order: `deliverAt`, then schedule order. */
  list(request: ScheduledListRequest): Promise<ListedScheduledEvent[]>;
  count(): Promise<number>;
  /** Removes a waiting event; false if none has this id (delivered, cancelled or unknown). */
  cancel(id: string): Promise<boolean>;
  /**
   * Appends up to `limit` due events to the log in delivery order and
   * removes them, in one transaction, if `leadership` is still current (else
   * a FencedError). Answers how many left the schedule.
   */
  deliverDue(leadership: Leadership, limit: number): Promise<number>;
  /** Milliseconds until the earliest waiting event is due (<= 0: due); undefined when none waits. */
  nextDueInMs(): Promise<number | undefined>;
  /** Hears every newly scheduled batch's earliest `deliverAt`, from any process. */
  onScheduled(listener: (deliverAt: Date) => void): Promise<() => Promise<void>>;
}

/** Present on a provider when `capabilities.delayedEvents`. */
export interface DelayedEvents<Transaction = unknown> {
  readonly store: ScheduledEventStore<Transaction>;
  /**
   * A new elector for the one process that delivers (a lease of its own, not
   * the allocator's), for one period of campaigning: schedulers campaign only
   * while something waits, and stop the elector when nothing does.
   */
  createElector(): LeaderElector;
}
