/**
 * Read answers held to a byte budget. Ten thousand 1 MiB events make one
 * 10 GiB answer; instead an answer stops once its events pass `maxReadBytes`
 * (the first event always goes, so a reader moves on however large it is)
 * and says where to go on, in the cursor the route already returns.
 *
 * The events are loaded from the database in rounds small enough that a round
 * of events at the instance's `maxEventBytes` stays near the budget, so a
 * request holds at most `LOAD_FACTOR` budgets in memory, not the page it asked for.
 */
import type { ReadPage } from '../core/contracts/log.js';
import type { DeliveryPage } from '../core/contracts/deliveries.js';
import type { DeadLetterQuery } from '../core/deliveries/dead-letters.js';
import { BEGINNING, type Position } from '../core/position.js';
import type { Millrace, ReadOptions, ScheduledOptions } from '../millrace.js';
import { deliveryJson } from './wire/dead-letters.js';
import { eventJson, pendingScheduledJson } from './wire/responses.js';

/** How many budgets' worth of events (at their largest) one round may load. */
const LOAD_FACTOR = 16;

/** Reads default to this many events, as `millrace.read` does. */
export const DEFAULT_READ_LIMIT = 100;

export interface ReadBudget {
  /** Bytes of event JSON one answer holds before it stops (past its first event). */
  readonly maxBytes: number;
  /** Events loaded per round. */
  readonly roundSize: number;
}

export function readBudget(maxBytes: number, maxEventBytes: number): ReadBudget {
  return { maxBytes, roundSize: Math.max(1, Math.floor((LOAD_FACTOR * maxBytes) / maxEventBytes)) };
}

/** JSON texts, kept while they fit the budget; the first always fits. */
class JsonParts {
  readonly parts: string[] = [];
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** Keeps `json` if it fits; false, keeping nothing, once the budget is spent. */
  add(json: string): boolean {
    // The comma between parts counts too.
    const size = Buffer.byteLength(json) + 1;
    if (this.parts.length > 0 && this.bytes + size > this.maxBytes) return false;
    this.bytes += size;
    this.parts.push(json);
    return true;
  }

  /** Forgets every part after the first `count`, to put others in their place. */
  truncate(count: number): void {
    for (const part of this.parts.splice(count)) this.bytes -= Buffer.byteLength(part) + 1;
  }

  /** Keeps `json` whatever the budget says. */
  push(json: string): void {
    this.bytes += Buffer.byteLength(json) + 1;
    this.parts.push(json);
  }

  array(): string {
    return `[${this.parts.join(',')}]`;
  }
}

/** A read page with its events already as JSON text. */
export interface JsonReadPage extends Pick<ReadPage, 'next' | 'hasMore' | 'pending'> {
  readonly events: readonly string[];
  /** The whole answer of `GET /v1/events`. */
  readonly body: string;
}

function readPage(parts: JsonParts, page: Omit<JsonReadPage, 'events' | 'body'>): JsonReadPage {
  return {
    ...page,
    events: parts.parts,
    body: `{"events":${parts.array()},"next":${JSON.stringify(page.next)},"hasMore":${page.hasMore},"pending":${page.pending}}`,
  };
}

/**
 * Reads up to `limit` events in rounds. A round cut by its own limit goes on
 * where it ended, so the rows scanned add up to what one read of `limit`
 * scans (a subject filter scans no further than it would have).
 */
export async function readEvents(
  millrace: Millrace,
  options: ReadOptions,
  budget: ReadBudget,
): Promise<JsonReadPage> {
  const parts = new JsonParts(budget.maxBytes);
  let remaining = options.limit ?? DEFAULT_READ_LIMIT;
  let after = options.after;
  for (;;) {
    const limit = Math.min(remaining, budget.roundSize);
    const page = await millrace.read({ ...options, after, limit });
    let last: Position | undefined;
    for (const event of page.events) {
      if (!parts.add(JSON.stringify(eventJson(event)))) {
        // Cut at a round's first event (earlier rounds filled the budget): go on
        // where this round began. A first round always keeps its first event.
        return readPage(parts, {
          next: last ?? after ?? BEGINNING,
          hasMore: true,
          pending: page.pending,
        });
      }
      last = event.position;
    }
    remaining -= limit;
    if (!page.hasMore || remaining <= 0) return readPage(parts, page);
    after = page.next;
  }
}

/** The whole answer of `GET /v1/dead-letters`, cut to the budget. */
export async function listDeadLetters(
  millrace: Millrace,
  query: DeadLetterQuery,
  budget: ReadBudget,
): Promise<string> {
  const parts = new JsonParts(budget.maxBytes);
  let remaining = query.limit ?? DEFAULT_READ_LIMIT;
  let after = query.after;
  const body = (next: string | undefined) =>
    `{"deadLetters":${parts.array()},"next":${JSON.stringify(next ?? null)}}`;
  for (;;) {
    const limit = Math.min(remaining, budget.roundSize);
    const page: DeliveryPage = await millrace.deadLetters.list({ ...query, after, limit });
    const before = parts.parts.length;
    const kept = page.records.findIndex(
      (record) => !parts.add(JSON.stringify(deliveryJson(record))),
    );
    if (kept === 0) return body(after);
    if (kept > 0) {
      // A cursor is the provider's own text: list the records that fitted again
      // to learn theirs, and answer with that listing, so records and cursor agree.
      const fitted = await millrace.deadLetters.list({ ...query, after, limit: kept });
      parts.truncate(before);
      for (const record of fitted.records) parts.push(JSON.stringify(deliveryJson(record)));
      return body(fitted.next);
    }
    remaining -= limit;
    if (page.next === undefined || remaining <= 0) return body(page.next);
    after = page.next;
  }
}

/** Delayed events as JSON text, and where to go on. */
export interface JsonScheduledPage {
  /** A JSON array. */
  readonly events: string;
  readonly next: string | undefined;
}

/** Lists up to `limit` delayed events in rounds, as `readEvents` reads events. */
export async function listScheduled(
  millrace: Millrace,
  options: ScheduledOptions,
  budget: ReadBudget,
): Promise<JsonScheduledPage> {
  const parts = new JsonParts(budget.maxBytes);
  let remaining = options.limit ?? DEFAULT_READ_LIMIT;
  let after = options.after;
  for (;;) {
    const limit = Math.min(remaining, budget.roundSize);
    const page = await millrace.scheduledPage({ ...options, after, limit });
    const cut = page.events.findIndex(
      (event) => !parts.add(JSON.stringify(pendingScheduledJson(event))),
    );
    // Each event carries its cursor: go on after the last one answered, or,
    // cut at a round's first event, where this round began.
    if (cut !== -1) return { events: parts.array(), next: page.events[cut - 1]?.cursor ?? after };
    remaining -= limit;
    if (page.next === undefined || remaining <= 0) {
      return { events: parts.array(), next: page.next };
    }
    after = page.next;
  }
}
