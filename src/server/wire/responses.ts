/**
 * What the HTTP API returns. The server writes `z.input` of these schemas
 * (times as ISO strings, positions as decimal strings); clients parse them
 * back into the library's own shapes, so both ends share one definition.
 */
import { z } from 'zod';
import type { Event, PublishResult } from '../../core/event.js';
import type { PendingScheduledEvent } from '../../core/contracts/scheduled.js';
import type { JsonObject, JsonValue } from '../../core/json.js';
import { describeSequence, parseSequence } from '../../core/sequence.js';
import type { ReadPage } from '../../core/contracts/log.js';
import type { ConsumerStatus } from '../../millrace.js';

/** A time on the wire: ISO 8601 with an offset, a Date once parsed. */
export const time = z.iso.datetime({ offset: true }).transform((text) => new Date(text));
const position = z.string().regex(/^[0-9]+$/);

export const PublishedJson = z.object({
  id: z.string(),
  stream: z.string(),
  position,
  version: z.number().int(),
  time,
});

/** A delayed event: its position and version are assigned when it is delivered. */
export const ScheduledJson = z.object({
  id: z.string(),
  stream: z.string(),
  scheduled: z.literal(true),
  deliverAt: time,
});

export const PublishResponse = z.object({
  events: z.array(z.union([PublishedJson, ScheduledJson])),
});

export const PendingScheduledJson = z.object({
  id: z.string(),
  stream: z.string(),
  subject: z.string(),
  data: z.custom<JsonValue>(),
  metadata: z.custom<JsonObject>(),
  deliverAt: time,
  scheduledAt: time,
});

/**
 * `count` is every waiting event; `events` the first `limit` of the ones
 * asked for (fewer if they pass the byte budget); `next` the `after` that
 * lists the rest, null when nothing more waits.
 */
export const ScheduledResponse = z.object({
  count: z.number().int(),
  events: z.array(PendingScheduledJson),
  next: z.string().nullable(),
});

export const CancelResponse = z.object({ cancelled: z.boolean() });

export const EventJson = z.object({
  id: z.string(),
  stream: z.string(),
  category: z.string(),
  subject: z.string(),
  data: z.custom<JsonValue>(),
  metadata: z.custom<JsonObject>(),
  position,
  version: z.number().int(),
  time,
});

export const ReadResponse = z.object({
  events: z.array(EventJson),
  next: position,
  hasMore: z.boolean(),
  pending: z.boolean(),
});

export const EndResponse = z.object({ position });

export const HealthResponse = z.object({ status: z.literal('ok'), provider: z.string() });

export const ConsumerJson = z.object({
  name: z.string(),
  sequence: z.string().transform(parseSequence),
  subjects: z.array(z.string()),
  partitions: z.number().int(),
  maxAttempts: z.number().int(),
  createdAt: time,
  updatedAt: time,
  positions: z.array(
    z.object({
      partition: z.number().int(),
      position,
      generation: z.number().int(),
      updatedAt: time,
      lag: z.number().int(),
      owner: z.string().nullable(),
      revoking: z.boolean(),
    }),
  ),
  lag: z.number().int(),
  generation: z.number().int(),
  leader: z
    .object({
      holder: z.string(),
      host: z.string(),
      pid: z.number().int(),
      term: z.number().int(),
      since: time,
      expiresAt: time,
    })
    .optional(),
  members: z.array(
    z.object({
      id: z.string(),
      host: z.string(),
      pid: z.number().int(),
      owned: z.array(z.number().int()),
      revoking: z.array(z.number().int()),
      joinedAt: time,
      heartbeatAt: time,
      expiresAt: time,
    }),
  ),
});

export const ConsumersResponse = z.object({ consumers: z.array(ConsumerJson) });

export const ErrorResponse = z.object({
  error: z.object({
    code: z.string(),
    reason: z.string(),
    message: z.string(),
    retriable: z.boolean().optional(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

export type ErrorResponse = z.input<typeof ErrorResponse>;

export function publishedJson(
  event: PublishResult,
): z.input<typeof PublishedJson> | z.input<typeof ScheduledJson> {
  if (event.scheduled === true) {
    return {
      id: event.id,
      stream: event.stream,
      scheduled: true,
      deliverAt: event.deliverAt.toISOString(),
    };
  }
  return {
    id: event.id,
    stream: event.stream,
    position: event.position,
    version: event.version,
    time: event.time.toISOString(),
  };
}

export function pendingScheduledJson(
  event: PendingScheduledEvent,
): z.input<typeof PendingScheduledJson> {
  // Field by field: a listed event carries its cursor too, which `next` stands for here.
  return {
    id: event.id,
    stream: event.stream,
    subject: event.subject,
    data: event.data,
    metadata: event.metadata,
    deliverAt: event.deliverAt.toISOString(),
    scheduledAt: event.scheduledAt.toISOString(),
  };
}

export function eventJson(event: Event): z.input<typeof EventJson> {
  return {
    id: event.id,
    stream: event.stream,
    category: event.category,
    subject: event.subject,
    data: event.data,
    metadata: event.metadata,
    position: event.position,
    version: event.version,
    time: event.time.toISOString(),
  };
}

export function readJson(page: ReadPage): z.input<typeof ReadResponse> {
  return {
    events: page.events.map(eventJson),
    next: page.next,
    hasMore: page.hasMore,
    pending: page.pending,
  };
}

export function consumerJson(status: ConsumerStatus): z.input<typeof ConsumerJson> {
  return {
    name: status.name,
    sequence: describeSequence(status.sequence),
    subjects: [...status.subjects],
    partitions: status.partitions,
    maxAttempts: status.maxAttempts,
    createdAt: status.createdAt.toISOString(),
    updatedAt: status.updatedAt.toISOString(),
    positions: status.positions.map((p) => ({
      partition: p.partition,
      position: p.position,
      generation: p.generation,
      updatedAt: p.updatedAt.toISOString(),
      lag: p.lag,
      owner: p.owner,
      revoking: p.revoking,
    })),
    lag: status.lag,
    generation: status.generation,
    leader:
      status.leader === undefined
        ? undefined
        : {
            ...status.leader,
            since: status.leader.since.toISOString(),
            expiresAt: status.leader.expiresAt.toISOString(),
          },
    members: status.members.map((m) => ({
      id: m.id,
      host: m.host,
      pid: m.pid,
      owned: [...m.owned],
      revoking: [...m.revoking],
      joinedAt: m.joinedAt.toISOString(),
      heartbeatAt: m.heartbeatAt.toISOString(),
      expiresAt: m.expiresAt.toISOString(),
    })),
  };
}
