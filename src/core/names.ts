/**
 * Names that reach storage (table rows, Kafka topics, Redis keys, SQL schema
 * identifiers) are validated here, once, with messages that say what is allowed.
 *
 * - category: a letter, then letters, digits or `_` (at most 100): `order`, `user_profile`.
 * - stream: `<category>` or `<category>-<id>`; the id may hold letters, digits
 *   and `_ . : @ + = -` (at most 200 characters in all): `order-123`, `cart-7f3a-2`.
 * - consumer: a letter or digit, then letters, digits, `_ . -` (at most 128).
 * - schema: a lower-case SQL identifier (at most 48), so derived names stay
 *   under PostgreSQL's 63-byte limit.
 */
import { ValidationError } from './errors.js';
import { clipped, quote } from './quote.js';

const CATEGORY = /^[A-Za-z][A-Za-z0-9_]{0,99}$/;
const STREAM_ID = /^[A-Za-z0-9_.:@+=-]+$/;
/** The whole rule in one pass, for the common case of a valid stream (publish is hot). */
const STREAM = /^[A-Za-z][A-Za-z0-9_]{0,99}(?:-[A-Za-z0-9_.:@+=-]+)?$/;
const CONSUMER = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const SCHEMA = /^[a-z_][a-z0-9_]{0,47}$/;
const MAX_STREAM_LENGTH = 200;

export function validateCategory(value: unknown): string {
  if (typeof value !== 'string' || !CATEGORY.test(value)) {
    throw new ValidationError(
      `invalid category ${quote(value)}: use a letter followed by letters, digits or "_" (at most 100 characters)`,
      { reason: 'invalid_category', details: { category: clipped(value) } },
    );
  }
  return value;
}

/** The category of a stream: its prefix before the first `-`. */
export function categoryOf(stream: string): string {
  const dash = stream.indexOf('-');
  return dash === -1 ? stream : stream.slice(0, dash);
}

export function validateStream(value: unknown): string {
  const fail = (why: string): never => {
    throw new ValidationError(`invalid stream ${quote(value)}: ${why}`, {
      reason: 'invalid_stream',
      details: { stream: clipped(value) },
    });
  };
  if (typeof value === 'string' && value.length <= MAX_STREAM_LENGTH && STREAM.test(value)) {
    return value;
  }
  if (typeof value !== 'string' || value.length === 0) return fail('expected a non-empty string');
  if (value.length > MAX_STREAM_LENGTH) return fail(`at most ${MAX_STREAM_LENGTH} characters`);
  const dash = value.indexOf('-');
  const category = dash === -1 ? value : value.slice(0, dash);
  if (!CATEGORY.test(category))
    return fail('it must start with a category: a letter, then letters, digits or "_"');
  if (dash !== -1 && !STREAM_ID.test(value.slice(dash + 1)))
    return fail('after "<category>-", use letters, digits or _ . : @ + = -');
  return value;
}

export function validateConsumerName(value: unknown): string {
  if (typeof value !== 'string' || !CONSUMER.test(value)) {
    throw new ValidationError(
      `invalid consumer name ${quote(value)}: use a letter or digit followed by letters, digits, "_", "." or "-" (at most 128 characters)`,
      { reason: 'invalid_consumer_name', details: { consumer: clipped(value) } },
    );
  }
  return value;
}

export function validateSchemaName(value: unknown): string {
  if (typeof value !== 'string' || !SCHEMA.test(value)) {
    throw new ValidationError(
      `invalid schema name ${quote(value)}: use lower-case letters, digits and "_", not starting with a digit (at most 48 characters)`,
      { reason: 'invalid_schema', details: { schema: clipped(value) } },
    );
  }
  return value;
}
