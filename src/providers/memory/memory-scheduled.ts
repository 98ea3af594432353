/**
 * Delayed events in memory, as the PostgreSQL provider keeps them in
 * scheduled_events: outside the log until due, then appended in delivery
 * order (`deliverAt`, then schedule order) under the scheduler's lease.
 */
import type { Leadership } from '../../core/contracts/elector.js';
import type { AppendOptions } from '../../core/contracts/log.js';
import type {
  ListedScheduledEvent,
  ScheduledEventStore,
  ScheduledListRequest,
} from '../../core/contracts/scheduled.js';
import {
  formatScheduledCursor,
  isBefore,
  parseScheduledCursor,
  type ScheduledCursor,
} from '../../core/contracts/scheduled-cursor.js';
import { ConflictError, FencedError, UnsupportedError } from '../../core/errors.js';
import type { PreparedEvent, PublishResult, PublishedEvent } from '../../core/event.js';
import type { JsonObject, JsonValue } from '../../core/json.js';
import type { MemoryData } from './memory-data.js';
import type { MemoryLog } from './memory-log.js';
import type { ScheduledData, StoredScheduled } from './memory-scheduled-data.js';
import { promised } from '../../core/kit/promised.js';

type Delayed = StoredScheduled['event'];

export class MemoryScheduledEvents implements ScheduledEventStore {
  constructor(
    private readonly data: MemoryData,
    private readonly scheduled: ScheduledData,
    private readonly log: MemoryLog,
    private readonly assertOpen: () => void,
  ) {}

  publish(events: readonly PreparedEvent[], options: AppendOptions = {}): Promise<PublishResult[]> {
    return promised(() => {
      this.assertOpen();
      if (options.transaction !== undefined) {
        throw new UnsupportedError('the memory provider cannot publish inside your transaction');
      }
      const delayed = events.filter((e): e is Delayed => e.deliverAt !== null);
      this.assertIdsFree(delayed, events);
      // Every check of the immediate events runs before it writes, so nothing is written if it throws.
      const appended = this.log.appendNow(events.filter((e) => e.deliverAt === null));
      const now = Date.now();
      for (const event of delayed) {
        this.scheduled.events.set(event.id, {
          event,
          seq: this.scheduled.nextSeq(),
          scheduledAt: now,
        });
      }
      const earliest = Math.min(...delayed.map((e) => e.deliverAt.getTime()));
      if (delayed.length > 0) this.scheduled.announce(new Date(earliest));
      let next = 0;
      return events.map((event) =>
        event.deliverAt === null
          ? (appended[next++] as PublishedEvent)
          : { id: event.id, stream: event.stream, scheduled: true, deliverAt: event.deliverAt },
      );
    });
  }

  list(request: ScheduledListRequest): Promise<ListedScheduledEvent[]> {
    return promised(() => {
      this.assertOpen();
      const after = request.after === undefined ? undefined : parseScheduledCursor(request.after);
      return this.scheduled
        .ordered()
        .filter((s) => request.stream === undefined || s.event.stream === request.stream)
        .filter((s) => after === undefined || isBefore(after, cursorOf(s)))
        .slice(0, request.limit)
        .map(toListed);
    });
  }

  count(): Promise<number> {
    return promised(() => {
      this.assertOpen();
      return this.scheduled.events.size;
    });
  }

  cancel(id: string): Promise<boolean> {
    return promised(() => {
      this.assertOpen();
      return this.scheduled.events.delete(id);
    });
  }

  deliverDue(leadership: Leadership, limit: number): Promise<number> {
    return promised(() => {
      this.assertOpen();
      const { lease } = this.scheduled;
      const now = Date.now();
      if (
        lease.holder !== leadership.holder ||
        lease.term !== leadership.term ||
        lease.expiresAt <= now
      ) {
        throw new FencedError('no longer the scheduler: another instance delivers delayed events');
      }
      const due = this.scheduled
        .ordered()
        .filter((s) => s.event.deliverAt.getTime() <= now)
        .slice(0, limit);
      // An id published at once meanwhile is taken: that event is dropped, as on PostgreSQL.
      this.log.appendNow(
        due
          .filter((s) => !this.data.ids.has(s.event.id))
          .map((s) => ({ ...s.event, deliverAt: null })),
      );
      for (const s of due) this.scheduled.events.delete(s.event.id);
      return due.length;
    });
  }

  nextDueInMs(): Promise<number | undefined> {
    return promised(() => {
      this.assertOpen();
      const [first] = this.scheduled.ordered();
      return first === undefined ? undefined : first.event.deliverAt.getTime() - Date.now();
    });
  }

  onScheduled(listener: (deliverAt: Date) => void): Promise<() => Promise<void>> {
    return promised(() => {
      this.assertOpen();
      const subscribed = (deliverAt: Date) => listener(deliverAt);
      this.scheduled.listeners.add(subscribed);
      return () => {
        this.scheduled.listeners.delete(subscribed);
        return Promise.resolve();
      };
    });
  }

  /** Delayed ids must be new to the log, the schedule and the batch. */
  private assertIdsFree(delayed: readonly Delayed[], batch: readonly PreparedEvent[]): void {
    const ids = new Set(batch.filter((e) => e.deliverAt === null).map((e) => e.id));
    for (const { id } of delayed) {
      if (ids.has(id) || this.data.ids.has(id) || this.scheduled.events.has(id)) {
        throw new ConflictError('an event with this id already exists', false, {
          reason: 'duplicate_id',
          details: { id },
        });
      }
      ids.add(id);
    }
  }
}

/** Its place in delivery order; `deliverAt` is whole milliseconds here. */
function cursorOf(stored: StoredScheduled): ScheduledCursor {
  return {
    deliverAtUs: BigInt(stored.event.deliverAt.getTime()) * 1000n,
    seq: BigInt(stored.seq),
  };
}

function toListed(stored: StoredScheduled): ListedScheduledEvent {
  const { event } = stored;
  return {
    id: event.id,
    stream: event.stream,
    subject: event.subject,
    data: JSON.parse(event.dataJson) as JsonValue,
    metadata: event.metadataJson === null ? {} : (JSON.parse(event.metadataJson) as JsonObject),
    deliverAt: new Date(event.deliverAt.getTime()),
    scheduledAt: new Date(stored.scheduledAt),
    cursor: formatScheduledCursor(cursorOf(stored)),
  };
}
