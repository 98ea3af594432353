/**
 * Delayed events on Redis, with the semantics of scheduled_events on
 * PostgreSQL: kept outside the log until due, then appended to it in
 * delivery order (`deliverAt`, then schedule order) by the holder of the
 * 'scheduler' lease. The schedule lives under the namespace's hash tag (see
 * RedisKeys.scheduled): an ordered set whose members spell the delivery
 * order, one such set per stream for listings by stream, a hash of the
 * events, the counter of schedule order and the set of events a delivery
 * has taken. The lease sits in the same slot, so taking due events is
 * fenced in the same script.
 *
 * The log lives in other slots (one per partition), so what spans both is
 * done in steps, each safe to repeat:
 * - publishing checks the delayed ids against the log's first, then
 *   schedules them in one script that refuses an id already scheduled
 *   (writing nothing), then appends the batch's immediate events; if that
 *   append is refused, the delayed ones are removed again. A publish racing
 *   on the same id in between is not seen (a small window, accepted);
 * - delivering takes the due events (marked claimed), appends those the log
 *   lacks with the same ids (RedisLog.appendDelivered: marked as a retry, so
 *   a call whose events all landed already is answered, not appended
 *   twice), and only then removes them. A scheduler cut off in between
 *   leaves them claimed: the next delivery takes them again and appends
 *   nothing twice. An id published at once meanwhile is dropped, as on
 *   PostgreSQL.
 *
 * The schedule script publishes a batch's earliest due time on the scheduled
 * channel, so a scheduler asleep until a later one wakes within
 * milliseconds instead of polling.
 */
import type { Leadership } from '../../core/contracts/elector.js';
import type { AppendOptions } from '../../core/contracts/log.js';
import { EVERY_CONSUMER } from '../../core/contracts/membership-store.js';
import type {
  ListedScheduledEvent,
  ScheduledEventStore,
  ScheduledListRequest,
} from '../../core/contracts/scheduled.js';
import {
  formatScheduledCursor,
  parseScheduledCursor,
  type ScheduledCursor,
} from '../../core/contracts/scheduled-cursor.js';
import { ConflictError, FencedError, UnsupportedError } from '../../core/errors.js';
import type { PreparedEvent, PublishResult, PublishedEvent } from '../../core/event.js';
import type { JsonObject, JsonValue } from '../../core/json.js';
import { categoryOf } from '../../core/names.js';
import type { RedisCategories } from './redis-categories.js';
import type { RedisConnection, Reply } from './redis-connection.js';
import { retriedOnce, translated } from './redis-errors.js';
import type { RedisKeys } from './redis-keys.js';
import type { RedisLog } from './redis-log.js';
import { RedisMemberChanges } from './redis-member-changes.js';

/** The lease whose holder delivers; deliverDue is fenced by it. */
export const SCHEDULER_LEASE = 'scheduler';

type Delayed = PreparedEvent & { readonly deliverAt: Date };

/** A member of the ordered sets: `<deliverAt ms>:<schedule order>:<id>`, fixed widths. */
const MS_DIGITS = 16;
const SEQ_DIGITS = 19;
const ID_AT = MS_DIGITS + 1 + SEQ_DIGITS + 1;

/** The event as the schedule script keeps it (`e`): its JSON texts as they were published. */
interface KeptEvent {
  readonly stream: string;
  readonly subject: string;
  readonly data: string;
  readonly metadata: string | null;
}

/** A waiting event as read back from the events hash. */
interface Scheduled {
  readonly member: string;
  readonly id: string;
  readonly cursor: ScheduledCursor;
  readonly scheduledAt: Date;
  readonly event: KeptEvent;
}

export class RedisScheduledEvents implements ScheduledEventStore<never> {
  /** The scheduled channel, heard as the members channel is (one connection, resubscribed). */
  private readonly announcements: RedisMemberChanges;

  constructor(
    private readonly connection: RedisConnection,
    private readonly keys: RedisKeys,
    private readonly categories: RedisCategories,
    private readonly log: RedisLog,
  ) {
    this.announcements = new RedisMemberChanges(connection, keys.scheduledChannel);
  }

  async publish(
    events: readonly PreparedEvent[],
    options: AppendOptions<never> = {},
  ): Promise<PublishResult[]> {
    if (options.transaction !== undefined) {
      throw new UnsupportedError('redis cannot publish inside a database transaction', {
        reason: 'transactional_publish_unsupported',
      });
    }
    const delayed = events.filter((e): e is Delayed => e.deliverAt !== null);
    const immediate = events.filter((e) => e.deliverAt === null);
    await this.assertIdsFree(delayed, immediate);
    await this.schedule(delayed);
    let published: PublishedEvent[];
    try {
      published = await this.log.append(immediate);
    } catch (error) {
      // All or none: the batch's delayed events go too (best effort; the error is the caller's).
      await this.remove(delayed.map((e) => e.id)).catch(() => undefined);
      throw error;
    }
    const landed = new Map(published.map((p) => [p.id, p]));
    return events.map((event) =>
      event.deliverAt === null
        ? (landed.get(event.id) as PublishedEvent)
        : { id: event.id, stream: event.stream, scheduled: true, deliverAt: event.deliverAt },
    );
  }

  async list(request: ScheduledListRequest): Promise<ListedScheduledEvent[]> {
    const after = request.after === undefined ? undefined : parseScheduledCursor(request.after);
    const set =
      request.stream === undefined
        ? this.keys.scheduled
        : this.keys.scheduledOfStream(request.stream);
    const reply = await this.connection
      .run('scheduled_list', [set, this.keys.scheduledEvents], [startAfter(after), request.limit])
      .catch(rethrow);
    return pairsOf(reply).map(([, record]) => {
      const { id, cursor, scheduledAt, event } = decode(record);
      return {
        id,
        stream: event.stream,
        subject: event.subject,
        data: JSON.parse(event.data) as JsonValue,
        metadata: event.metadata === null ? {} : (JSON.parse(event.metadata) as JsonObject),
        deliverAt: deliverAtOf(cursor),
        scheduledAt,
        cursor: formatScheduledCursor(cursor),
      };
    });
  }

  async count(): Promise<number> {
    return this.connection.client.hlen(this.keys.scheduledEvents).catch(rethrow);
  }

  async cancel(id: string): Promise<boolean> {
    for (;;) {
      const record = await this.connection.client
        .hget(this.keys.scheduledEvents, id)
        .catch(rethrow);
      if (record === null) return false;
      const { member, event } = decode(record);
      const keys = [
        this.keys.scheduled,
        this.keys.scheduledOfStream(event.stream),
        this.keys.scheduledEvents,
        this.keys.scheduledClaimed,
      ];
      const cancelled = Number(
        await this.connection.runDurably('scheduled_cancel', keys, [id, member]).catch(rethrow),
      );
      // -1: scheduled again under another member since it was read (another stream, perhaps).
      if (cancelled !== -1) return cancelled === 1;
    }
  }

  async deliverDue(leadership: Leadership, limit: number): Promise<number> {
    const { lease } = this.keys.lease(SCHEDULER_LEASE);
    const reply = await this.connection
      .run(
        'scheduled_take',
        [lease, this.keys.scheduled, this.keys.scheduledEvents, this.keys.scheduledClaimed],
        [leadership.holder, leadership.term, limit],
      )
      .catch(rethrow);
    const [kind, ...rest] = reply as string[];
    if (kind === 'deposed') {
      throw new FencedError(
        `scheduler term ${leadership.term} is over: another instance delivers delayed events`,
        { reason: 'deposed' },
      );
    }
    const taken = pairsOf(rest).map(([member, record]) => ({
      member,
      // A member without its event (which the scripts never leave) is only removed.
      scheduled: record === '' ? undefined : decode(record),
    }));
    if (taken.length === 0) return 0;
    await this.appendMissing(taken.flatMap((t) => (t.scheduled ? [toPrepared(t.scheduled)] : [])));
    await this.done(taken.map((t) => ({ member: t.member, stream: t.scheduled?.event.stream })));
    return taken.length;
  }

  async nextDueInMs(): Promise<number | undefined> {
    const waitMs = await this.connection
      .run('scheduled_next_due', [this.keys.scheduled], [])
      .catch(rethrow);
    return waitMs === null ? undefined : Number(waitMs);
  }

  onScheduled(listener: (deliverAt: Date) => void): Promise<() => Promise<void>> {
    return this.announcements.listen((message) =>
      // Announcements may have been missed while reconnecting: look now.
      listener(new Date(message === EVERY_CONSUMER ? 0 : Number(message))),
    );
  }

  /** Stops hearing the scheduled channel (the provider is closing). */
  close(): Promise<void> {
    return this.announcements.close();
  }

  /** Delayed ids must be new to the batch and the log (the schedule script checks the schedule). */
  private async assertIdsFree(
    delayed: readonly Delayed[],
    immediate: readonly PreparedEvent[],
  ): Promise<void> {
    const batch = new Set(immediate.map((e) => e.id));
    for (const { id } of delayed) {
      if (batch.has(id)) throw duplicateId(id);
      batch.add(id);
    }
    const [logged] = await this.loggedIds(delayed);
    if (logged !== undefined) throw duplicateId(logged);
  }

  /** Which of the events' ids the log holds: HEXISTS on each one's partition's ids. */
  private async loggedIds(events: readonly PreparedEvent[]): Promise<string[]> {
    const found = await Promise.all(
      events.map(async (event) => {
        const partition = await this.categories.partitionOfStream(event.category, event.stream);
        const { ids } = this.keys.partition(event.category, partition);
        return (await this.connection.client.hexists(ids, event.id)) === 1;
      }),
    ).catch(rethrow);
    return events.filter((_, i) => found[i]).map((e) => e.id);
  }

  /** One script, all or none; a call whose answer was lost is sent again as a retry. */
  private async schedule(delayed: readonly Delayed[]): Promise<void> {
    if (delayed.length === 0) return;
    const keys = [
      this.keys.scheduled,
      this.keys.scheduledEvents,
      this.keys.scheduledSeq,
      ...delayed.map((e) => this.keys.scheduledOfStream(e.stream)),
    ];
    const args: (string | number)[] = [
      this.keys.scheduledChannel,
      Math.min(...delayed.map((e) => e.deliverAt.getTime())),
      delayed.length,
    ];
    for (const e of delayed) {
      const kept: KeptEvent = {
        stream: e.stream,
        subject: e.subject,
        data: e.dataJson,
        metadata: e.metadataJson,
      };
      args.push(e.id, digits(BigInt(e.deliverAt.getTime()), MS_DIGITS), JSON.stringify(kept));
    }
    const reply = (await retriedOnce((retry) =>
      this.connection.runDurably('schedule', keys, [retry ? '1' : '0', ...args]),
    )) as string[];
    if (reply[0] === 'duplicate_id') throw duplicateId(reply[1] ?? '');
  }

  /**
   * Appends the taken events the log does not hold yet. A deposed scheduler
   * still finishing the same delivery may append some of them meanwhile: a
   * call whose events it all appended is answered as stored; one it appended
   * in part is refused as a duplicate, and looked at again.
   */
  private async appendMissing(due: readonly PreparedEvent[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const logged = new Set(await this.loggedIds(due));
      try {
        await this.log.appendDelivered(due.filter((e) => !logged.has(e.id)));
        return;
      } catch (error) {
        const raced = error instanceof ConflictError && error.reason === 'duplicate_id';
        if (!raced || attempt === 3) throw error;
      }
    }
  }

  /** Removes events from the schedule, by id, whatever stream they wait in. */
  private async remove(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const records = await this.connection.client
      .hmget(this.keys.scheduledEvents, ...ids)
      .catch(rethrow);
    await this.done(
      records.flatMap((record) => {
        if (record === null) return [];
        const { member, event } = decode(record);
        return [{ member, stream: event.stream }];
      }),
    );
  }

  /** Removes events from the schedule, each also from its stream's set where it is known. */
  private async done(
    entries: readonly { readonly member: string; readonly stream: string | undefined }[],
  ): Promise<void> {
    if (entries.length === 0) return;
    const { scheduled, scheduledEvents, scheduledClaimed } = this.keys;
    const streams = entries.map((e) =>
      e.stream === undefined ? scheduled : this.keys.scheduledOfStream(e.stream),
    );
    await this.connection
      .runDurably(
        'scheduled_done',
        [scheduled, scheduledEvents, scheduledClaimed, ...streams],
        entries.map((e) => e.member),
      )
      .catch(rethrow);
  }
}

/** `value` in decimal, zero-padded to `width` (so text order is number order). */
function digits(value: bigint, width: number): string {
  return value.toString().padStart(width, '0');
}

/**
 * Where a listing starts (a ZRANGE BYLEX bound): strictly after the cursor's
 * place. Every waiting event is due after 1970 and in whole milliseconds.
 */
function startAfter(cursor: ScheduledCursor | undefined): string {
  if (cursor === undefined || cursor.deliverAtUs < 0n) return '-';
  const ms = cursor.deliverAtUs / 1000n;
  // Between two milliseconds: from the next one.
  if (cursor.deliverAtUs % 1000n !== 0n) return `[${digits(ms + 1n, MS_DIGITS)}`;
  // The same millisecond and schedule order sort before `;` (`:` and the id follow them).
  return `[${digits(ms, MS_DIGITS)}:${digits(cursor.seq, SEQ_DIGITS)};`;
}

/** A record of the events hash: `m` its member, `a` when it was scheduled, `e` the event. */
function decode(record: string): Scheduled {
  const { m: member, a, e } = JSON.parse(record) as { m: string; a: string; e: string };
  return {
    member,
    id: member.slice(ID_AT),
    cursor: {
      deliverAtUs: BigInt(member.slice(0, MS_DIGITS)) * 1000n,
      seq: BigInt(member.slice(MS_DIGITS + 1, MS_DIGITS + 1 + SEQ_DIGITS)),
    },
    scheduledAt: new Date(Number(a)),
    event: JSON.parse(e) as KeptEvent,
  };
}

function deliverAtOf(cursor: ScheduledCursor): Date {
  return new Date(Number(cursor.deliverAtUs / 1000n));
}

/** A taken event as the log appends it: due now, with its id and JSON texts as published. */
function toPrepared({ id, event }: Scheduled): PreparedEvent {
  return {
    id,
    stream: event.stream,
    category: categoryOf(event.stream),
    subject: event.subject,
    data: JSON.parse(event.data) as JsonValue,
    dataJson: event.data,
    metadata: event.metadata === null ? {} : (JSON.parse(event.metadata) as JsonObject),
    metadataJson: event.metadata,
    expectedVersion: null,
    deliverAt: null,
  };
}

/** A flat reply `[a1, b1, a2, b2, ...]` as pairs. */
function pairsOf(reply: Reply): [string, string][] {
  const flat = (reply ?? []) as string[];
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i] ?? '', flat[i + 1] ?? '']);
  return pairs;
}

function duplicateId(id: string): ConflictError {
  return new ConflictError('an event with this id already exists', false, {
    reason: 'duplicate_id',
    details: { id },
  });
}

function rethrow(error: unknown): never {
  throw translated(error);
}
