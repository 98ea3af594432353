/**
 * The event: what publishers write and handlers receive.
 *
 * Terminology
 * - stream: one entity's ordered events, `order-123`.
 * - category: the stream's prefix before the first `-`, `order`.
 * - subject: dot-separated type, `order.cancelled`.
 * - version: 0-based place of the event within its stream.
 * - position: place within the log (see position.ts).
 */
import { v7 as uuidv7, validate as isUuid } from 'uuid';
import { validateDeliverAt } from './deliver-at.js';
import { ValidationError } from './errors.js';
import {
  assertJson,
  assertStorableJson,
  isJsonObject,
  type JsonObject,
  type JsonValue,
} from './json.js';
import { categoryOf, validateStream } from './names.js';
import type { Position } from './position.js';
import { quote } from './quote.js';
import { validateSubject } from './subjects.js';

export interface Event<Data = JsonValue> {
  /** Time-ordered unique id (UUIDv7 unless the publisher chose one). */
  readonly id: string;
  readonly stream: string;
  readonly category: string;
  readonly subject: string;
  readonly data: Data;
  /** Correlation, causation, trace context: anything the publisher attached. */
  readonly metadata: JsonObject;
  readonly position: Position;
  readonly version: number;
  readonly time: Date;
}

export interface EventInput<Data = JsonValue> {
  stream: string;
  subject: string;
  data: Data;
  metadata?: JsonObject;
  /** A UUID chosen by the publisher; publishing the same id twice is a conflict. */
  id?: string;
  /**
   * Optimistic concurrency: the version the stream must be at before this
   * event (-1: the stream must have no events). Omit to append whatever the
   * stream holds.
   */
  expectedVersion?: number;
  /** Only on a DelayedEventInput. */
  deliverAt?: undefined;
}

/** An event that enters the log at `deliverAt`, not before (see ScheduledEvent). */
export interface DelayedEventInput<Data = JsonValue> extends Omit<
  EventInput<Data>,
  'expectedVersion' | 'deliverAt'
> {
  /**
   * When the event enters the log and gets its position and version. A time
   * in the past, or now, publishes at once. Needs `capabilities.delayedEvents`.
   */
  deliverAt: Date;
  /** Refused: the stream's version is unknown until the event is delivered. */
  expectedVersion?: undefined;
}

/** What `publish` accepts: an event for now, or a delayed one. */
export type PublishInput<Data = JsonValue> = EventInput<Data> | DelayedEventInput<Data>;

/** Validated, serialized once, ready for any provider to store. */
export interface PreparedEvent {
  readonly id: string;
  readonly stream: string;
  readonly category: string;
  readonly subject: string;
  readonly data: JsonValue;
  readonly dataJson: string;
  readonly metadata: JsonObject;
  /** `null` when the metadata is empty, so nothing is stored for it. */
  readonly metadataJson: string | null;
  readonly expectedVersion: number | null;
  /** When it enters the log; null: at once. */
  readonly deliverAt: Date | null;
}

/** Where a published event landed. */
export interface PublishedEvent {
  readonly id: string;
  readonly stream: string;
  readonly position: Position;
  readonly version: number;
  readonly time: Date;
  /** Absent: in the log already (see ScheduledEvent). */
  readonly scheduled?: false;
}

/** A delayed event, kept until `deliverAt`: its position and version are assigned then. */
export interface ScheduledEvent {
  readonly id: string;
  readonly stream: string;
  readonly scheduled: true;
  readonly deliverAt: Date;
}

/** What a publish answers for each event. */
export type PublishResult = PublishedEvent | ScheduledEvent;

export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;

export function prepareEvent(input: unknown, maxEventBytes: number): PreparedEvent {
  if (!isJsonObject(input)) {
    throw new ValidationError('an event must be an object with stream, subject and data', {
      reason: 'invalid_event',
    });
  }
  const event = input as Partial<PublishInput<unknown>>;
  const stream = validateStream(event.stream);
  const subject = validateSubject(event.subject);
  if (!('data' in event)) {
    throw new ValidationError('an event needs data (any JSON value, null included)', {
      reason: 'invalid_json',
    });
  }
  assertJson(event.data, 'data');
  const metadata = event.metadata ?? {};
  if (!isJsonObject(metadata)) {
    throw new ValidationError('event metadata must be a JSON object', { reason: 'invalid_json' });
  }
  assertJson(metadata, 'metadata');
  const id = event.id === undefined ? uuidv7() : validateEventId(event.id);
  const expectedVersion = event.expectedVersion ?? null;
  if (
    expectedVersion !== null &&
    !(Number.isSafeInteger(expectedVersion) && expectedVersion >= -1)
  ) {
    throw new ValidationError(
      `invalid expectedVersion ${quote(expectedVersion)}: expected an integer >= -1`,
      { reason: 'invalid_expected_version' },
    );
  }
  const dataJson = JSON.stringify(event.data);
  const metadataJson = Object.keys(metadata).length === 0 ? null : JSON.stringify(metadata);
  assertStorableJson(dataJson, event.data, 'data');
  if (metadataJson !== null) assertStorableJson(metadataJson, metadata, 'metadata');
  const jsonLength = dataJson.length + (metadataJson?.length ?? 0);
  // Each UTF-16 unit is at most 3 UTF-8 bytes: count exactly only when it can matter.
  if (jsonLength * 3 > maxEventBytes) {
    const size = Buffer.byteLength(dataJson) + (metadataJson ? Buffer.byteLength(metadataJson) : 0);
    if (size > maxEventBytes) {
      throw new ValidationError(
        `event for stream ${quote(stream)} is ${size} bytes; the limit is ${maxEventBytes} (data and metadata as JSON)`,
        { reason: 'payload_too_large', details: { size, limit: maxEventBytes } },
      );
    }
  }
  return {
    id,
    stream,
    category: categoryOf(stream),
    subject,
    data: event.data,
    dataJson,
    metadata,
    metadataJson,
    expectedVersion,
    deliverAt: validateDeliverAt(event.deliverAt, expectedVersion),
  };
}

export function validateEventId(id: unknown): string {
  if (typeof id !== 'string' || !isUuid(id)) {
    throw new ValidationError(`invalid event id ${quote(id)}: expected a UUID`, {
      reason: 'invalid_id',
    });
  }
  return id.toLowerCase();
}

/** Validates a batch as a whole: nothing is written unless every event is valid. */
export function prepareBatch(inputs: unknown, maxEventBytes: number): PreparedEvent[] {
  if (!Array.isArray(inputs)) {
    throw new ValidationError('a batch must be an array of events', { reason: 'invalid_batch' });
  }
  if (inputs.length === 0) return [];
  return inputs.map((input: unknown, index) => {
    try {
      return prepareEvent(input, maxEventBytes);
    } catch (error) {
      if (error instanceof ValidationError) {
        throw new ValidationError(`event ${index}: ${error.message}`, {
          reason: error.reason,
          details: { ...error.details, index },
        });
      }
      throw error;
    }
  });
}
