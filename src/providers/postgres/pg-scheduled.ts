/**
 * Delayed events in PostgreSQL (see 0005_scheduled_events.sql): kept in
 * scheduled_events until due, then appended with append_events and removed,
 * in one transaction, by the holder of the 'scheduler' lease. Scheduling an
 * event sends a NOTIFY on the scheduled channel with its time, so the
 * scheduler, asleep until the next due time it knew of, wakes for an earlier
 * one within milliseconds instead of polling.
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
  parseScheduledCursor,
} from '../../core/contracts/scheduled-cursor.js';
import type { PreparedEvent, PublishResult, PublishedEvent } from '../../core/event.js';
import type { JsonObject, JsonValue } from '../../core/json.js';
import { categoryOf } from '../../core/names.js';
import type { Database, SqlExecutor } from './database.js';
import { translated } from './errors.js';
import {
  callerTransaction,
  retryInNewTransaction,
  wakeupsOf,
  type Appended,
  type PgLog,
} from './pg-log.js';
import type { QueryBook } from './sql.js';

export const SCHEDULER_LEASE = 'scheduler';

type Delayed = PreparedEvent & { readonly deliverAt: Date };

interface DeliveredRow {
  [key: string]: unknown;
  taken: number;
  streams: string[] | null;
  stream_hashes: number[] | null;
}

interface ScheduledRow {
  [key: string]: unknown;
  id: string;
  stream: string;
  subject: string;
  data: JsonValue;
  metadata: JsonObject | null;
  deliver_at: Date;
  scheduled_at: Date;
  deliver_us: string;
  seq: string;
}

export class PgScheduledEvents implements ScheduledEventStore {
  private readonly local = new Set<(deliverAt: Date) => void>();

  constructor(
    private readonly db: Database,
    private readonly book: QueryBook,
    private readonly log: PgLog,
  ) {}

  async publish(
    events: readonly PreparedEvent[],
    options: AppendOptions = {},
  ): Promise<PublishResult[]> {
    const delayed = events.filter((e): e is Delayed => e.deliverAt !== null);
    const immediate = events.filter((e) => e.deliverAt === null);
    const earliest = String(Math.min(...delayed.map((e) => e.deliverAt.getTime())));
    const write = async (executor: SqlExecutor): Promise<Appended | undefined> => {
      const appended =
        immediate.length === 0 ? undefined : await this.log.appendIn(executor, immediate);
      if (delayed.length > 0) {
        await translated(() =>
          executor.query(this.book.get('schedule_events'), [
            delayed.map((e) => e.stream),
            scheduledJson(delayed),
          ]),
        );
      }
      return appended;
    };
    let appended: Appended | undefined;
    if (options.transaction !== undefined) {
      const transaction = callerTransaction(options.transaction);
      appended = await write(transaction);
      if (appended) await this.log.wakeWithin(transaction, appended.wakeups);
      // Heard at the caller's commit: only then can the events be delivered.
      if (delayed.length > 0) {
        await translated(() => transaction.query(this.book.get('scheduled_notify'), [earliest]));
      }
    } else {
      appended = await retryInNewTransaction(() => this.db.transaction(write));
      if (appended) this.log.wakeAfterCommit(appended.wakeups);
      if (delayed.length > 0) this.wakeSchedulers(earliest);
    }
    return merge(events, appended?.published ?? []);
  }

  async list(request: ScheduledListRequest): Promise<ListedScheduledEvent[]> {
    const after = request.after === undefined ? undefined : parseScheduledCursor(request.after);
    const rows = await translated(() =>
      this.db.query<ScheduledRow>(this.book.get('scheduled_list'), [
        request.stream ?? null,
        request.limit,
        after?.deliverAtUs.toString() ?? null,
        after?.seq.toString() ?? null,
      ]),
    );
    return rows.map((row) => ({
      id: row.id,
      stream: row.stream,
      subject: row.subject,
      data: row.data,
      metadata: row.metadata ?? {},
      deliverAt: row.deliver_at,
      scheduledAt: row.scheduled_at,
      cursor: formatScheduledCursor({ deliverAtUs: BigInt(row.deliver_us), seq: BigInt(row.seq) }),
    }));
  }

  async count(): Promise<number> {
    const rows = await translated(() =>
      this.db.query<{ count: number }>(this.book.get('scheduled_count')),
    );
    return rows[0]?.count ?? 0;
  }

  async cancel(id: string): Promise<boolean> {
    const rows = await translated(() => this.db.query(this.book.get('scheduled_cancel'), [id]));
    return rows.length > 0;
  }

  async deliverDue(leadership: Leadership, limit: number): Promise<number> {
    const params = [limit, SCHEDULER_LEASE, leadership.holder, leadership.term];
    const rows = await retryInNewTransaction(() =>
      translated(() => this.db.query<DeliveredRow>(this.book.get('scheduled_deliver'), params)),
    );
    const row = rows[0];
    if (row === undefined) return 0;
    if (row.streams !== null && row.stream_hashes !== null) {
      this.log.wakeAfterCommit(wakeupsOf(row.streams.map(categoryOf), row.stream_hashes));
    }
    return row.taken;
  }

  async nextDueInMs(): Promise<number | undefined> {
    const rows = await translated(() =>
      this.db.query<{ wait_ms: number | null }>(this.book.get('scheduled_next_due')),
    );
    return rows[0]?.wait_ms ?? undefined;
  }

  async onScheduled(listener: (deliverAt: Date) => void): Promise<() => Promise<void>> {
    const stop = await translated(() =>
      this.db.listen(
        this.book.names.scheduledChannel,
        (payload) => listener(new Date(Number(payload))),
        // Notifications may have been missed while reconnecting: look now.
        () => listener(new Date(0)),
      ),
    );
    this.local.add(listener);
    return async () => {
      this.local.delete(listener);
      await stop();
    };
  }

  /** This process's schedulers at once, the others by NOTIFY (a lost one costs only latency). */
  private wakeSchedulers(earliest: string): void {
    for (const listener of this.local) listener(new Date(Number(earliest)));
    void this.db.query(this.book.get('scheduled_notify'), [earliest]).catch(() => undefined);
  }
}

/** The answers in input order: appended events where they landed, delayed ones as scheduled. */
function merge(
  events: readonly PreparedEvent[],
  published: readonly PublishedEvent[],
): PublishResult[] {
  let next = 0;
  return events.map((event) =>
    event.deliverAt === null
      ? (published[next++] as PublishedEvent)
      : { id: event.id, stream: event.stream, scheduled: true, deliverAt: event.deliverAt },
  );
}

/** As eventsJson in pg-log.ts, with the due time instead of an expected version. */
function scheduledJson(events: readonly Delayed[]): string {
  const parts = events.map(
    (e) =>
      `{"t":"${e.subject}","d":${e.dataJson},"m":${e.metadataJson ?? 'null'},"i":"${e.id}","w":"${e.deliverAt.toISOString()}"}`,
  );
  return `[${parts.join(',')}]`;
}
