import type {
  AppendOptions,
  CountRequest,
  LogStore,
  ReadPage,
  ReadRequest,
} from '../../core/contracts/log.js';
import { WakeupSet } from '../../core/contracts/wakeups.js';
import { UnsupportedError, ValidationError } from '../../core/errors.js';
import type { Event, PreparedEvent, PublishedEvent } from '../../core/event.js';
import { maxPosition, type Position } from '../../core/position.js';
import { appendEvents, published } from './memory-append.js';
import type { MemoryData } from './memory-data.js';
import { scan, toEvent } from './memory-scan.js';
import type { MemoryWakeups } from './memory-wakeups.js';
import { promised } from '../../core/kit/promised.js';
import { streamHash } from '../../core/kit/stream-hash.js';

/**
 * The log in memory. Every append is readable the moment it returns (there
 * are no open transactions), so `pending` is always false and the end of the
 * log is simply its last position.
 */
export class MemoryLog implements LogStore {
  constructor(
    private readonly data: MemoryData,
    private readonly wakeups: MemoryWakeups,
    private readonly assertOpen: () => void,
  ) {}

  append(events: readonly PreparedEvent[], options: AppendOptions = {}): Promise<PublishedEvent[]> {
    return promised(() => {
      this.assertOpen();
      if (options.transaction !== undefined) {
        throw new UnsupportedError('the memory provider cannot publish inside your transaction');
      }
      return this.appendNow(events);
    });
  }

  /** Appends synchronously (so a caller can make it part of a larger atomic step) and wakes consumers. */
  appendNow(events: readonly PreparedEvent[]): PublishedEvent[] {
    if (events.length === 0) return [];
    const stored = appendEvents(this.data, events);
    const wakeups = new WakeupSet();
    for (const event of stored) wakeups.add(event.category, streamHash(event.stream));
    this.wakeups.publish(wakeups);
    return stored.map(published);
  }

  read(request: ReadRequest): Promise<ReadPage> {
    return promised(() => {
      this.assertOpen();
      const { limit } = request;
      if (!Number.isSafeInteger(limit) || limit < 1) {
        throw new ValidationError(`invalid read limit ${String(limit)}: expected an integer >= 1`, {
          reason: 'invalid_limit',
        });
      }
      const events: Event[] = [];
      for (const event of scan(this.data, request)) {
        events.push(toEvent(event));
        if (events.length === limit) break;
      }
      // As in PostgreSQL: a full page may be followed by more, so the next read
      // starts after its last event; a short page saw everything up to the end.
      const hasMore = events.length === limit;
      const next = hasMore
        ? (events.at(-1) as Event).position
        : maxPosition(request.after, String(this.data.head));
      return { events, next, hasMore, pending: false };
    });
  }

  end(): Promise<Position> {
    return promised(() => {
      this.assertOpen();
      return String(this.data.head);
    });
  }

  positionAt(time: Date): Promise<Position> {
    return promised(() => {
      this.assertOpen();
      const at = time.getTime();
      if (Number.isNaN(at)) {
        throw new ValidationError('positionAt needs a valid Date', { reason: 'invalid_time' });
      }
      // Times never decrease along the log, so the first event at or after `at` is found by bisection.
      const { events } = this.data;
      let low = 0;
      let high = events.length;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if ((events[mid]?.time ?? Infinity) < at) low = mid + 1;
        else high = mid;
      }
      // Pruning leaves gaps: the answer is the position just before that event.
      const first = events[low];
      return String(first === undefined ? this.data.head : first.position - 1);
    });
  }

  count(request: CountRequest): Promise<number> {
    return promised(() => {
      this.assertOpen();
      const events = scan(this.data, request);
      let count = 0;
      while (!events.next().done) count++;
      return count;
    });
  }
}
