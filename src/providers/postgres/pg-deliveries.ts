/**
 * Delivery records in the deliveries table (0004_deliveries.sql). Writes
 * happen only off the happy path, a batch per call; filters go to one SQL
 * definition (delivery_matches), every value as a parameter.
 */
import type {
  DeliveryError,
  DeliveryFilter,
  DeliveryPage,
  DeliveryRecord,
  DeliveryState,
  DeliveryStore,
  DeliveryUpdate,
} from '../../core/contracts/deliveries.js';
import type { Event } from '../../core/event.js';
import type { JsonObject, JsonValue } from '../../core/json.js';
import type { Position } from '../../core/position.js';
import { subjectPatternToRegex } from '../../core/subjects.js';
import type { SqlExecutor } from './database.js';
import { translated } from './errors.js';
import type { QueryBook } from './sql.js';

interface StoredEvent {
  id: string;
  stream: string;
  category: string;
  subject: string;
  data: JsonValue;
  metadata: JsonObject;
  position: string;
  version: number;
  time: string;
}

interface DeliveryRow {
  [key: string]: unknown;
  consumer?: string;
  event: StoredEvent;
  state: DeliveryState;
  attempts: number;
  last_error: DeliveryError | null;
  schedule_at: Date | null;
  replay: boolean;
  created_at: Date;
  updated_at: Date;
  partition: number;
  cursor_time?: string;
}

function toRecord(consumer: string, row: DeliveryRow): DeliveryRecord {
  const event: Event = { ...row.event, time: new Date(row.event.time) };
  return {
    consumer: row.consumer ?? consumer,
    partition: row.partition,
    event,
    state: row.state,
    attempts: row.attempts,
    lastError: row.last_error,
    scheduleAt: row.schedule_at,
    replay: row.replay,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** $1-$7 of deliveries_list, deliveries_retry and deliveries_discard. */
function filterParams(filter: DeliveryFilter): unknown[] {
  return [
    filter.consumer ?? null,
    filter.state ?? null,
    filter.subject === undefined ? null : subjectPatternToRegex(filter.subject),
    filter.errorCode ?? null,
    filter.since ?? null,
    filter.until ?? null,
    filter.eventId ?? null,
  ];
}

export class PgDeliveries implements DeliveryStore {
  constructor(
    private readonly db: SqlExecutor,
    private readonly book: QueryBook,
  ) {}

  async save(consumer: string, updates: readonly DeliveryUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    const records = updates.map((u) => ({
      partition: u.partition,
      event_id: u.event.id,
      position: u.event.position,
      subject: u.event.subject,
      event: u.event,
      state: u.state,
      attempts: u.attempts,
      last_error: u.lastError,
      schedule_at: u.scheduleAt?.toISOString() ?? null,
      replay: u.replay,
    }));
    await translated(() =>
      this.db.query(this.book.get('deliveries_save'), [consumer, JSON.stringify(records)]),
    );
  }

  async remove(consumer: string, eventIds: readonly string[]): Promise<void> {
    if (eventIds.length === 0) return;
    await translated(() => this.db.query(this.book.get('deliveries_remove'), [consumer, eventIds]));
  }

  async loadAfter(consumer: string, partition: number, after: Position): Promise<DeliveryRecord[]> {
    const rows = await translated(() =>
      this.db.query<DeliveryRow>(this.book.get('deliveries_load_after'), [
        consumer,
        partition,
        after,
      ]),
    );
    return rows.map((row) => toRecord(consumer, row));
  }

  async dueReplays(
    consumer: string,
    partitions: readonly number[],
    limit: number,
  ): Promise<DeliveryRecord[]> {
    if (partitions.length === 0) return [];
    const rows = await translated(() =>
      this.db.query<DeliveryRow>(this.book.get('deliveries_due_replays'), [
        consumer,
        partitions,
        limit,
      ]),
    );
    return rows.map((row) => toRecord(consumer, row));
  }

  async list(filter: DeliveryFilter, limit: number, after?: string): Promise<DeliveryPage> {
    const [cursorTime, cursorId] = after === undefined ? [null, null] : splitCursor(after);
    const rows = await translated(() =>
      this.db.query<DeliveryRow>(this.book.get('deliveries_list'), [
        ...filterParams(filter),
        limit + 1,
        cursorTime,
        cursorId,
      ]),
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      records: page.map((row) => toRecord(row.consumer ?? '', row)),
      next: rows.length > limit && last ? `${last.cursor_time}|${last.event.id}` : undefined,
    };
  }

  async retry(filter: DeliveryFilter): Promise<number> {
    const rows = await translated(() =>
      this.db.query(this.book.get('deliveries_retry'), filterParams(filter)),
    );
    return rows.length;
  }

  async discard(filter: DeliveryFilter): Promise<number> {
    const rows = await translated(() =>
      this.db.query(this.book.get('deliveries_discard'), filterParams(filter)),
    );
    return rows.length;
  }
}

function splitCursor(cursor: string): [string, string] {
  const at = cursor.lastIndexOf('|');
  return [cursor.slice(0, at), cursor.slice(at + 1)];
}
