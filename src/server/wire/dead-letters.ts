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

export const DeadLetterQuery = z.strictObject({
  ...filterFields,
  limit: integerParam(1, 1000).optional(),
  after: z.string().max(200).optional(),
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
