/**
 * An event as a Kafka record: the stream is the key (so Kafka's partitioner
 * keeps a stream in one partition, in order), the data is the value, and
 * the id, subject and metadata travel in headers. Its position is the
 * record's offset + 1, so a position is also the Kafka offset to read next
 * from, and `0` is before the first record, as everywhere in millrace.
 */
import type { KafkaRecord } from '@platformatic/kafka';
import { v5 as uuidv5 } from 'uuid';
import type { Event, PreparedEvent } from '../../core/event.js';
import type { JsonObject, JsonValue } from '../../core/json.js';
import type { Position } from '../../core/position.js';

export const HEADER_ID = 'millrace-id';
export const HEADER_SUBJECT = 'millrace-subject';
export const HEADER_METADATA = 'millrace-metadata';

/** Subject of a record some other producer wrote without our headers. */
export const FOREIGN_SUBJECT = 'kafka.record';
/** Names the ids given to foreign records, derived from where they sit. */
const FOREIGN_ID_NAMESPACE = '8d0e5f0c-63f5-4c8e-9a3a-3b1f6f7a0c11';

export interface OutgoingRecord {
  readonly topic: string;
  readonly partition: number;
  readonly key: Buffer;
  readonly value: Buffer;
  readonly headers: Map<Buffer, Buffer>;
}

// Header names are the same for every record: encoded once.
const ID_NAME = Buffer.from(HEADER_ID);
const SUBJECT_NAME = Buffer.from(HEADER_SUBJECT);
const METADATA_NAME = Buffer.from(HEADER_METADATA);

export function toRecord(event: PreparedEvent, topic: string, partition: number): OutgoingRecord {
  const headers = new Map<Buffer, Buffer>([
    [ID_NAME, Buffer.from(event.id)],
    [SUBJECT_NAME, Buffer.from(event.subject)],
  ]);
  if (event.metadataJson !== null) headers.set(METADATA_NAME, Buffer.from(event.metadataJson));
  return {
    topic,
    partition,
    key: Buffer.from(event.stream),
    value: Buffer.from(event.dataJson),
    headers,
  };
}

export function positionOfOffset(offset: bigint): Position {
  return (offset + 1n).toString();
}

interface Headers {
  id?: string;
  subject?: string;
  metadata?: string;
}

/** One pass over the headers, comparing bytes: no string is made for a header we do not keep. */
function readHeaders(record: KafkaRecord): Headers {
  const found: Headers = {};
  for (const [key, value] of record.headers) {
    if (key === null || value === null) continue;
    if (key.equals(ID_NAME)) found.id = value.toString();
    else if (key.equals(SUBJECT_NAME)) found.subject = value.toString();
    else if (key.equals(METADATA_NAME)) found.metadata = value.toString();
  }
  return found;
}

function parseJson(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    // A foreign producer's value that is not JSON reaches handlers as text.
    return text;
  }
}

export function fromRecord(
  record: KafkaRecord,
  where: { topic: string; category: string; partition: number; offset: bigint; time: bigint },
): Event {
  const stream = record.key?.toString() ?? where.category;
  const { id, subject, metadata } = readHeaders(record);
  return {
    id: id ?? uuidv5(`${where.topic}:${where.partition}:${where.offset}`, FOREIGN_ID_NAMESPACE),
    stream,
    category: where.category,
    subject: subject ?? FOREIGN_SUBJECT,
    data: record.value === null ? null : parseJson(record.value.toString()),
    metadata: metadata === undefined ? {} : (parseJson(metadata) as JsonObject),
    position: positionOfOffset(where.offset),
    // Kafka keeps no per-stream versions (capabilities.optimisticConcurrency is false).
    version: -1,
    time: new Date(Number(where.time)),
  };
}
