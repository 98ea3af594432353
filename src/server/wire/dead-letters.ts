/**
 * Dead letters on the wire: the filter (a query string for listing, a JSON
 * body for retry and discard) and the record as JSON. Values are checked
 * again by the core, which owns the rules; this only shapes them.
 */
import { z } from 'zod';
import type { DeliveryFilter, DeliveryRecord } from '../../core/contracts/deliveries.js';
import { integerParam } from './requests.js';
import { EventJson, eventJson } from './responses.js';

const isoTime = z.iso
  .datetime({ offset: true, message: 'expected an ISO 8601 time with a zone' })
  .transform((text) => new Date(text));

const filterFields = {
  consumer: z.string().optional(),
  state: z.enum(['retryable', 'discarded', 'cancelled']).optional(),
  subject: z.string().optional(),
  errorCode: z.string().optional(),
  since: isoTime.optional(),
  until: isoTime.optional(),
  eventId: z.string().optional(),
};

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
// The `next` of a page, as providers write it: PostgreSQL's updated_at as ISO
// text (its default DateStyle) then `|` and the event id; the in-memory and
// Kafka providers, epoch milliseconds then `:` and the id. Checked here, so a
// made-up cursor is a 400, not a database error.
const PG_CURSOR = new RegExp(
  `^([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\\.[0-9]{1,6})?[+-][0-9]{2}(?::[0-9]{2}){0,2}\\|${UUID}$`,
  'i',
);
const MEMORY_CURSOR = new RegExp(`^[0-9]{1,15}:${UUID}$`, 'i');

function isCursor(text: string): boolean {
  if (MEMORY_CURSOR.test(text)) return true;
  const parts = PG_CURSOR.exec(text)?.slice(1).map(Number);
  if (parts === undefined) return false;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = parts;
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    year >= 1 &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59
  );
}

export const DeadLetterQuery = z.strictObject({
  ...filterFields,
  limit: integerParam(1, 1000).optional(),
  after: z
    .string()
    .refine(isCursor, 'expected the `next` of a previous page of dead letters')
    .optional(),
});

/** Retry or discard: a filter; `{}` means every dead letter. */
export const DeadLetterFilterBody = z.strictObject(filterFields);

export const DeadLetterParams = z.strictObject({ consumer: z.string(), eventId: z.string() });

/** Drops the fields left out, so the core sees only what was asked for. */
export function toFilter(input: z.output<typeof DeadLetterFilterBody>): DeliveryFilter {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
}

export const DeliveryJson = z.object({
  consumer: z.string(),
  partition: z.number(),
  state: z.enum(['retryable', 'discarded', 'cancelled']),
  attempts: z.number(),
  lastError: z
    .object({ message: z.string(), code: z.string().optional(), stack: z.string().optional() })
    .nullable(),
  scheduleAt: z.string().nullable(),
  replay: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
  event: EventJson,
});
export type DeliveryJson = z.infer<typeof DeliveryJson>;

export const DeadLetterList = z.object({
  deadLetters: z.array(DeliveryJson),
  next: z.string().nullable(),
});
export type DeadLetterList = z.infer<typeof DeadLetterList>;

export const RetriedResponse = z.object({ retried: z.number() });
export const DiscardedResponse = z.object({ discarded: z.number() });

export function deliveryJson(record: DeliveryRecord): z.input<typeof DeliveryJson> {
  return {
    consumer: record.consumer,
    partition: record.partition,
    state: record.state,
    attempts: record.attempts,
    lastError:
      record.lastError === null
        ? null
        : {
            message: record.lastError.message,
            ...(record.lastError.code === undefined ? {} : { code: record.lastError.code }),
            ...(record.lastError.stack === undefined ? {} : { stack: record.lastError.stack }),
          },
    scheduleAt: record.scheduleAt?.toISOString() ?? null,
    replay: record.replay,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
    event: eventJson(record.event),
  };
}
