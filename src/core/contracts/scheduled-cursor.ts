/**
 * Where a listing of delayed events goes on: one event's place in delivery
 * order, written `<deliverAt in microseconds since 1970>:<seq>`. It holds the
 * place, not the event, so a listing resumes after an event that has since
 * been delivered or cancelled. Every provider writes it the same way, so
 * the server checks a cursor without knowing which provider made it.
 */
import { ValidationError } from '../errors.js';

/** One event's place in delivery order: `deliverAt`, then schedule order. */
export interface ScheduledCursor {
  readonly deliverAtUs: bigint;
  readonly seq: bigint;
}

/** The range of a JavaScript Date (and so of every `deliverAt`), in microseconds. */
const MAX_DELIVER_AT_US = 8_640_000_000_000_000_000n;
/** Schedule order is a PostgreSQL bigint. */
const MAX_SEQ = 9_223_372_036_854_775_807n;
const CURSOR = /^(-?[0-9]{1,19}):([0-9]{1,19})$/;

export function formatScheduledCursor(cursor: ScheduledCursor): string {
  return `${cursor.deliverAtUs}:${cursor.seq}`;
}

/** The cursor `text` holds, or undefined if it is not one any provider wrote. */
function parse(text: string): ScheduledCursor | undefined {
  const match = CURSOR.exec(text);
  if (match === null) return undefined;
  const deliverAtUs = BigInt(match[1] ?? '');
  const seq = BigInt(match[2] ?? '');
  const inRange =
    deliverAtUs >= -MAX_DELIVER_AT_US && deliverAtUs <= MAX_DELIVER_AT_US && seq <= MAX_SEQ;
  return inRange ? { deliverAtUs, seq } : undefined;
}

export function isScheduledCursor(text: string): boolean {
  return parse(text) !== undefined;
}

/** The cursor `after` holds; a ValidationError if it is not one. */
export function parseScheduledCursor(after: unknown): ScheduledCursor {
  const cursor = typeof after === 'string' ? parse(after) : undefined;
  if (cursor === undefined) {
    throw new ValidationError(
      "after must be the `next` of an earlier page of scheduled events, or an event's `cursor`",
      { reason: 'invalid_option', details: { option: 'after' } },
    );
  }
  return cursor;
}

/** Whether `after` comes before `cursor` in delivery order. */
export function isBefore(after: ScheduledCursor, cursor: ScheduledCursor): boolean {
  return (
    after.deliverAtUs < cursor.deliverAtUs ||
    (after.deliverAtUs === cursor.deliverAtUs && after.seq < cursor.seq)
  );
}
