/**
 * Which stored events a read or count sees: those of the sequence (and of the
 * partition, if any) whose subject matches, strictly after a position, in
 * log order.
 */
import type { PartitionSlice } from '../../core/contracts/log.js';
import { ValidationError } from '../../core/errors.js';
import type { Event } from '../../core/event.js';
import type { JsonObject, JsonValue } from '../../core/json.js';
import { comparePositions, validatePosition, type Position } from '../../core/position.js';
import { sequenceIncludes, type EventSequence } from '../../core/sequence.js';
import { subjectMatcher } from '../../core/subjects.js';
import type { MemoryData, StoredEvent } from './memory-data.js';

export interface ScanRequest {
  readonly sequence: EventSequence;
  readonly after: Position;
  readonly subjects?: readonly string[];
  readonly partition?: PartitionSlice;
}

/** The largest partition count, as for PostgreSQL. */
export const MAX_PARTITIONS = 1024;

export function* scan(data: MemoryData, request: ScanRequest): Generator<StoredEvent> {
  const { sequence, partition } = request;
  const after = validatePosition(request.after);
  if (partition !== undefined) validateSlice(partition);
  const matches = subjectMatcher(request.subjects ?? []);
  const candidates =
    sequence.kind === 'stream' ? (data.streams.get(sequence.stream) ?? []) : data.events;
  for (let i = firstAfter(candidates, after); i < candidates.length; i++) {
    const event = candidates[i] as StoredEvent;
    if (!sequenceIncludes(sequence, event.stream, event.category)) continue;
    if (partition !== undefined && event.streamHash % partition.count !== partition.index) continue;
    if (matches(event.subject)) yield event;
  }
}

export function toEvent(event: StoredEvent): Event {
  return {
    id: event.id,
    stream: event.stream,
    category: event.category,
    subject: event.subject,
    data: JSON.parse(event.dataJson) as JsonValue,
    metadata: event.metadataJson === null ? {} : (JSON.parse(event.metadataJson) as JsonObject),
    position: String(event.position),
    version: event.version,
    time: new Date(event.time),
  };
}

/** The index of the first event past `after` in a list ordered by position. */
function firstAfter(events: readonly StoredEvent[], after: Position): number {
  let low = 0;
  let high = events.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const event = events[mid] as StoredEvent;
    if (comparePositions(String(event.position), after) <= 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

function validateSlice(slice: PartitionSlice): void {
  const { index, count } = slice;
  if (
    !Number.isSafeInteger(count) ||
    count < 1 ||
    count > MAX_PARTITIONS ||
    !Number.isSafeInteger(index) ||
    index < 0 ||
    index >= count
  ) {
    throw new ValidationError(
      `invalid partition ${JSON.stringify(slice)}: expected { index, count } with 0 <= index < count <= ${MAX_PARTITIONS}`,
      { reason: 'invalid_partition' },
    );
  }
}
