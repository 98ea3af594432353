/**
 * What the HTTP API accepts. These schemas check the shape of a request;
 * names, subjects, positions and sizes are then checked by the core, once,
 * with the same reasons the library gives (`invalid_stream`, ...).
 */
import { z } from 'zod';
import { isJsonObject, type JsonObject, type JsonValue } from '../../core/json.js';
import { isScheduledCursor } from '../../core/contracts/scheduled-cursor.js';
import type { SequenceInput } from '../../core/sequence.js';

/** Events accepted in one batch request. */
export const MAX_BATCH_EVENTS = 10_000;

/** The longest a read may wait for events. */
export const MAX_WAIT_MS = 30_000;

// The body was parsed from JSON, so any value present is JSON; only absence is an error.
const jsonValue = z.custom<JsonValue>((value) => value !== undefined, {
  message: 'required: any JSON value, null included',
});

const jsonObject = z.custom<JsonObject>(isJsonObject, { message: 'expected a JSON object' });

export const EventBody = z.strictObject({
  stream: z.string(),
  subject: z.string(),
  data: jsonValue,
  metadata: jsonObject.optional(),
  id: z.string().optional(),
  expectedVersion: z.number().int().min(-1).optional(),
  /** Delays the event until this time (ISO 8601 with an offset, e.g. `2026-01-01T09:00:00Z`). */
  deliverAt: z.iso
    .datetime({
      offset: true,
      message: 'expected an ISO time with an offset, e.g. 2026-01-01T09:00:00Z',
    })
    .transform((text) => new Date(text))
    .optional(),
});

export const BatchBody = z.strictObject({
  events: z.array(EventBody).min(1).max(MAX_BATCH_EVENTS),
});

export type EventBody = z.infer<typeof EventBody>;
export type BatchBody = z.infer<typeof BatchBody>;

/** A batch is an object with `events`; anything else is read as one event. */
export function isBatchBody(body: unknown): boolean {
  return isJsonObject(body) && 'events' in body;
}

export function integerParam(min: number, max: number) {
  return z
    .string()
    .regex(/^[0-9]{1,9}$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().min(min).max(max));
}

const SEQUENCE = /^(log|category:.+|stream:.+)$/;

/** A sequence written as text: `log`, `category:<name>` or `stream:<name>`. */
export const sequenceText = () =>
  z.string().regex(SEQUENCE, 'use log, category:<name> or stream:<name>');

function toSequenceInput(query: {
  sequence?: string | undefined;
  category?: string | undefined;
  stream?: string | undefined;
}): SequenceInput {
  if (query.category !== undefined) return { category: query.category };
  if (query.stream !== undefined) return { stream: query.stream };
  const sequence = query.sequence ?? 'log';
  if (sequence === 'log') return 'log';
  const colon = sequence.indexOf(':');
  const name = sequence.slice(colon + 1);
  return sequence.startsWith('category:') ? { category: name } : { stream: name };
}

export const ReadQuery = z
  .strictObject({
    sequence: sequenceText().optional(),
    category: z.string().optional(),
    stream: z.string().optional(),
    after: z.string().optional(),
    limit: integerParam(1, 10_000).optional(),
    subjects: z.string().optional(),
    wait: integerParam(0, MAX_WAIT_MS).optional(),
  })
  .refine(
    (query) =>
      [query.sequence, query.category, query.stream].filter((v) => v !== undefined).length <= 1,
    { message: 'give at most one of sequence, category and stream', path: ['sequence'] },
  )
  .transform((query) => ({
    sequence: toSequenceInput(query),
    after: query.after,
    limit: query.limit,
    subjects:
      query.subjects === undefined || query.subjects === '' ? [] : query.subjects.split(','),
    waitMs: query.wait ?? 0,
  }));

export type ReadQuery = z.infer<typeof ReadQuery>;

export const ConsumerParams = z.strictObject({ name: z.string() });

export const ScheduledQuery = z.strictObject({
  stream: z.string().optional(),
  limit: integerParam(1, 10_000).optional(),
  // Checked here, so a made-up cursor is a 400, not a database error.
  after: z
    .string()
    .refine(isScheduledCursor, 'expected the `next` of a previous page of scheduled events')
    .optional(),
});

export const ScheduledParams = z.strictObject({ id: z.string() });
