/**
 * A position is where an event sits in its log: totally ordered within the
 * log (PostgreSQL, memory) or within one partition (Kafka, Redis Streams).
 * It travels as a decimal string, as Kafka clients carry offsets, because the
 * PostgreSQL value is a 64-bit integer that a JavaScript number cannot hold and
 * a bigint cannot go through JSON.stringify.
 */
import { ValidationError } from './errors.js';
import { quote } from './quote.js';

export type Position = string;

/** The position before every event. */
export const BEGINNING: Position = '0';

const DECIMAL = /^(0|[1-9][0-9]{0,18})$/;
const LIMIT = 2n ** 63n;

export function validatePosition(value: unknown): Position {
  if (typeof value === 'bigint' && value >= 0n && value < LIMIT) return value.toString();
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  if (typeof value === 'string' && DECIMAL.test(value) && BigInt(value) < LIMIT) return value;
  throw new ValidationError(
    `invalid position ${quote(typeof value === 'string' ? value : String(value))}: expected a decimal string from 0 to ${LIMIT - 1n}`,
    { reason: 'invalid_position' },
  );
}

export function comparePositions(a: Position, b: Position): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function maxPosition(a: Position, b: Position): Position {
  return comparePositions(a, b) >= 0 ? a : b;
}
