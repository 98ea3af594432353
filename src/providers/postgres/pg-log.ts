import type {
  AppendOptions,
  CountRequest,
  LogStore,
  ReadPage,
  ReadRequest,
} from '../../core/contracts/log.js';
import { WakeupSet, type Wakeup } from '../../core/contracts/wakeups.js';
import { ConflictError, UnsupportedError } from '../../core/errors.js';
import type { Event, PreparedEvent, PublishedEvent } from '../../core/event.js';
import type { JsonObject, JsonValue } from '../../core/json.js';
import { comparePositions, maxPosition, type Position } from '../../core/position.js';
import { describeSequence } from '../../core/sequence.js';
import { subjectPatternToRegex } from '../../core/subjects.js';
import { executorOf, isQueryableLike, type Database, type SqlExecutor } from './database.js';
import { translated } from './errors.js';
import type { PgNotifier } from './pg-notifier.js';
import type { PgWakeups } from './pg-wakeups.js';
import type { QueryBook } from './sql.js';

interface EventRow {
  [key: string]: unknown;
  horizon: string;
  position: string | null;
  id: string;
  stream: string;
  category: string;
  version: number;
  subject: string;
  data: JsonValue;
  metadata: JsonObject | null;
  time_ms: number;
}

/**
 * How long a publish in its own transaction keeps trying when it meets a
 * retriable conflict: a deadlock with callers' transactions that publish
 * several times (PostgreSQL picks a victim after deadlock_timeout, 1 s by
 * default), or a stream head written by a later transaction.
 */
const APPEND_RETRY_MS = 15_000;

export class PgLog implements LogStore {
  private readonly regexCache = new Map<string, string[]>();

  constructor(
    private readonly db: Database,
    private readonly book: QueryBook,
    private readonly notifier: PgNotifier,
    private readonly wakeups: PgWakeups,
  ) {}

  async append(
    events: readonly PreparedEvent[],
    options: AppendOptions = {},
  ): Promise<PublishedEvent[]> {
    if (events.length === 0) return [];
    if (options.transaction !== undefined) {
      const transaction = callerTransaction(options.transaction);
      const appended = await this.appendIn(transaction, events);
      await this.wakeWithin(transaction, appended.wakeups);
      return appended.published;
    }
    const appended = await retryInNewTransaction(() => this.appendIn(this.db, events));
    this.wakeAfterCommit(appended.wakeups);
    return appended.published;
  }

  /**
   * Appends with `executor`: a statement of its own, or one inside a
   * transaction already open. Wakes nobody: the caller does, once it is
   * known when the events commit.
   */
  async appendIn(executor: SqlExecutor, events: readonly PreparedEvent[]): Promise<Appended> {
    const params = [events.map((e) => e.stream), eventsJson(events)];
    const [row] = await translated(() =>
      executor.query<AppendedRow>(this.book.get('append_events'), params),
    );
    const appended = row as AppendedRow;
    const first = BigInt(appended.first_position);
    return {
      published: events.map((event, index) => ({
        id: event.id,
        stream: event.stream,
        position: (first + BigInt(index)).toString(),
        version: appended.versions[index] as number,
        time: appended.time,
      })),
      wakeups: wakeupsOf(
        events.map((e) => e.category),
        appended.stream_hashes,
      ),
    };
  }

  /** Wakes this process's consumers at once and the others' by NOTIFY, after a commit. */
  wakeAfterCommit(wakeups: readonly Wakeup[]): void {
    this.wakeups.local(wakeups);
    this.notifier.wake(wakeups);
  }

  /** Wakes every consumer, this process's too, when the caller's transaction commits. */
  wakeWithin(transaction: SqlExecutor, wakeups: readonly Wakeup[]): Promise<void> {
    return translated(() => this.notifier.wakeWithin(transaction, wakeups));
  }

  async read(request: ReadRequest): Promise<ReadPage> {
    const { partition, after, limit } = request;
    const rows = await translated(() =>
      this.db.query<EventRow>(this.book.get('read_events'), [
        describeSequence(request.sequence),
        partition?.count ?? 1,
        partition?.index ?? 0,
        after,
        limit,
        this.regexes(request.subjects ?? []),
      ]),
    );
    return toPage(rows, after, limit);
  }

  async end(): Promise<Position> {
    const rows = await translated(() =>
      this.db.query<{ position: string }>(this.book.get('log_end')),
    );
    return rows[0]?.position ?? '0';
  }

  async positionAt(time: Date): Promise<Position> {
    const rows = await translated(() =>
      this.db.query<{ position: string }>(this.book.get('position_before_time'), [time]),
    );
    return rows[0]?.position ?? '0';
  }

  async count(request: CountRequest): Promise<number> {
    const rows = await translated(() =>
      this.db.query<{ count: number }>(this.book.get('count_after'), [
        describeSequence(request.sequence),
        request.partition?.count ?? 1,
        request.partition?.index ?? 0,
        request.after,
        this.regexes(request.subjects ?? []),
      ]),
    );
    return rows[0]?.count ?? 0;
  }

  private regexes(patterns: readonly string[]): string[] {
    if (patterns.length === 0) return [];
    const key = patterns.join('\n');
    let regexes = this.regexCache.get(key);
    if (regexes === undefined) {
      regexes = patterns.map(subjectPatternToRegex);
      if (this.regexCache.size > 1000) this.regexCache.clear();
      this.regexCache.set(key, regexes);
    }
    return regexes;
  }
}

/**
 * Rows arrive in position order. Those at or above the horizon are committed
 * but not readable yet; they end the page. When the scan reached the horizon
 * (a short page, or an unreadable row), every position below it is final, so
 * the next read may start from just below it, past filtered-out events too.
 */
function toPage(rows: EventRow[], after: Position, limit: number): ReadPage {
  const horizon = rows[0]?.horizon ?? '0';
  const events: Event[] = [];
  let last = after;
  let pending = false;
  let scanned = 0;
  for (const row of rows) {
    if (row.position === null) break;
    scanned++;
    if (comparePositions(row.position, horizon) >= 0) {
      pending = true;
      break;
    }
    last = row.position;
    events.push({
      id: row.id,
      stream: row.stream,
      category: row.category,
      subject: row.subject,
      data: row.data,
      metadata: row.metadata ?? {},
      position: row.position,
      version: row.version,
      time: new Date(row.time_ms),
    });
  }
  const hasMore = !pending && scanned === limit;
  const next = hasMore ? last : maxPosition(after, (BigInt(horizon) - 1n).toString());
  return { events, next: maxPosition(next, last), hasMore, pending };
}

/**
 * Appends to a stream take turns (see append_events), so a conflict here is
 * rare: a transaction id that lost to a later head, or a deadlock between
 * callers. Both succeed in a new transaction, which each attempt is.
 */
export async function retryInNewTransaction<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + APPEND_RETRY_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!(error instanceof ConflictError) || !error.retriable || Date.now() > deadline) {
        throw error;
      }
      await new Promise((resolve) =>
        setTimeout(resolve, Math.random() * 2 ** Math.min(attempt, 7)),
      );
    }
  }
}

interface AppendedRow {
  [key: string]: unknown;
  first_position: string;
  time: Date;
  versions: number[];
  stream_hashes: number[];
}

/**
 * Everything but the streams as one JSON document, built by concatenation:
 * data and metadata are JSON already, and subjects and ids are validated to
 * hold nothing JSON would escape.
 */
function eventsJson(events: readonly PreparedEvent[]): string {
  const parts = events.map(
    (e) =>
      `{"t":"${e.subject}","d":${e.dataJson},"m":${e.metadataJson ?? 'null'},"i":"${e.id}","e":${e.expectedVersion ?? 'null'}}`,
  );
  return `[${parts.join(',')}]`;
}

/** Appended events, where they landed and whom to wake. */
export interface Appended {
  readonly published: PublishedEvent[];
  readonly wakeups: Wakeup[];
}

/** The consumers to wake for appended events: their categories and stream hashes, in order. */
export function wakeupsOf(categories: readonly string[], hashes: readonly number[]): Wakeup[] {
  const wakeups = new WakeupSet();
  categories.forEach((category, index) => wakeups.add(category, hashes[index]));
  return wakeups.drain();
}

/** The caller's transaction (outbox) as an executor, refused if it cannot run queries. */
export function callerTransaction(transaction: unknown): SqlExecutor {
  if (!isQueryableLike(transaction)) {
    throw new UnsupportedError(
      'transaction must be a pg client inside BEGIN or a PGlite transaction (an object with query())',
    );
  }
  return executorOf(transaction);
}
