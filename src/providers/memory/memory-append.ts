/**
 * Appends a batch the way the PostgreSQL provider does: every check runs
 * before anything is written, so a batch lands whole or not at all; events of
 * one stream get consecutive versions in input order; `expectedVersion` is
 * the version the stream must be at just before that event.
 */
import { ConflictError } from '../../core/errors.js';
import type { PreparedEvent, PublishedEvent } from '../../core/event.js';
import type { MemoryData, StoredEvent } from './memory-data.js';
import { streamHash } from '../../core/kit/stream-hash.js';

export function appendEvents(data: MemoryData, events: readonly PreparedEvent[]): StoredEvent[] {
  const stored = plan(data, events);
  for (const event of stored) {
    data.events.push(event);
    data.ids.add(event.id);
    const stream = data.streams.get(event.stream);
    if (stream === undefined) data.streams.set(event.stream, [event]);
    else stream.push(event);
  }
  data.lastTime = stored[0]?.time ?? data.lastTime;
  data.head += stored.length;
  return stored;
}

export function published(event: StoredEvent): PublishedEvent {
  return {
    id: event.id,
    stream: event.stream,
    position: String(event.position),
    version: event.version,
    time: new Date(event.time),
  };
}

/** The events as they will be stored; throws, having written nothing, if any cannot be. */
function plan(data: MemoryData, events: readonly PreparedEvent[]): StoredEvent[] {
  // One time per batch, as PostgreSQL's statement timestamp.
  const time = Math.max(Date.now(), data.lastTime);
  const heads = new Map<string, number>();
  const ids = new Set<string>();
  return events.map((event, index) => {
    if (data.ids.has(event.id) || ids.has(event.id)) {
      throw new ConflictError('an event with this id already exists', false, {
        reason: 'duplicate_id',
        details: { id: event.id },
      });
    }
    ids.add(event.id);
    // The newest event's version, not the count: pruning keeps a stream's newest event only.
    const actual = heads.get(event.stream) ?? data.streams.get(event.stream)?.at(-1)?.version ?? -1;
    if (event.expectedVersion !== null && event.expectedVersion !== actual) {
      throw new ConflictError(
        `stream ${event.stream} is at version ${actual}, not the expected ${event.expectedVersion}`,
        false,
        {
          reason: 'version_conflict',
          details: { stream: event.stream, expected: event.expectedVersion, actual },
        },
      );
    }
    heads.set(event.stream, actual + 1);
    return {
      position: data.head + index + 1,
      id: event.id,
      stream: event.stream,
      category: event.category,
      streamHash: streamHash(event.stream),
      version: actual + 1,
      subject: event.subject,
      dataJson: event.dataJson,
      metadataJson: event.metadataJson,
      time,
    };
  });
}
