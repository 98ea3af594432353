/**
 * A consumer's registry record as a provider that keeps it as JSON stores it
 * (Kafka in a compacted topic, Redis in a hash), and the rules for
 * registering a name again, written once: the same sequence or a conflict;
 * subjects and the attempt limit updated; the rest kept.
 */
import type { ConsumerDefinition, ConsumerRecord } from '../contracts/registry.js';
import { ConflictError } from '../errors.js';
import { describeSequence, parseSequence } from '../sequence.js';

export interface StoredConsumer {
  readonly name: string;
  readonly sequence: string;
  readonly subjects: readonly string[];
  readonly partitions: number;
  readonly maxAttempts: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export function toConsumerRecord(stored: StoredConsumer): ConsumerRecord {
  return {
    name: stored.name,
    sequence: parseSequence(stored.sequence),
    subjects: [...stored.subjects],
    partitions: stored.partitions,
    maxAttempts: stored.maxAttempts,
    createdAt: new Date(stored.createdAt),
    updatedAt: new Date(stored.updatedAt),
  };
}

/** A new consumer's record, with `partitions` as the backend fixes them. */
export function newStoredConsumer(
  definition: ConsumerDefinition,
  partitions: number,
  now: string,
): StoredConsumer {
  return {
    name: definition.name,
    sequence: describeSequence(definition.sequence),
    subjects: [...definition.subjects],
    partitions,
    maxAttempts: definition.maxAttempts,
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * What registering `definition` again makes of `existing`: undefined when
 * nothing changes, else the record to store. Another sequence is a conflict.
 */
export function reregistered(
  existing: StoredConsumer,
  definition: ConsumerDefinition,
  now: string,
): StoredConsumer | undefined {
  const requested = describeSequence(definition.sequence);
  if (existing.sequence !== requested) {
    throw new ConflictError(
      `consumer ${JSON.stringify(definition.name)} reads ${existing.sequence}, not ${requested}: choose another name for another sequence`,
      false,
      {
        reason: 'consumer_sequence_mismatch',
        details: { registered: existing.sequence, requested },
      },
    );
  }
  const same =
    existing.maxAttempts === definition.maxAttempts &&
    existing.subjects.join('\n') === definition.subjects.join('\n');
  if (same) return undefined;
  return {
    ...existing,
    subjects: [...definition.subjects],
    maxAttempts: definition.maxAttempts,
    updatedAt: now,
  };
}
