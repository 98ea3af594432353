import type { PartitionPosition } from '../../core/contracts/positions.js';
import type {
  ConsumerDefinition,
  ConsumerRecord,
  ConsumerRegistry,
} from '../../core/contracts/registry.js';
import { remapPositions } from '../../core/kit/repartition.js';
import { ConflictError, NotFoundError } from '../../core/errors.js';
import { validatePosition, type Position } from '../../core/position.js';
import { describeSequence } from '../../core/sequence.js';
import type { MemoryData } from './memory-data.js';
import { promised } from '../../core/kit/promised.js';

/**
 * The consumer registry, with the PostgreSQL provider's rules: a new consumer
 * gets every partition's position set to `start`; a changed partition count
 * remaps the positions so no event is skipped, under a new generation; an
 * existing name over another sequence is a conflict.
 */
export class MemoryRegistry implements ConsumerRegistry {
  constructor(
    private readonly data: MemoryData,
    private readonly assertOpen: () => void,
  ) {}

  register(definition: ConsumerDefinition, start: Position): Promise<ConsumerRecord> {
    return promised(() => {
      this.assertOpen();
      validatePosition(start);
      const existing = this.data.consumers.get(definition.name);
      if (existing === undefined) return copy(this.create(definition, start));
      const registered = describeSequence(existing.sequence);
      const requested = describeSequence(definition.sequence);
      if (registered !== requested) {
        throw new ConflictError(
          `consumer ${JSON.stringify(definition.name)} reads ${registered}, not ${requested}: choose another name for another sequence`,
          false,
          { reason: 'consumer_sequence_mismatch', details: { registered, requested } },
        );
      }
      if (sameOptions(existing, definition)) return copy(existing);
      if (existing.partitions !== definition.partitions) {
        this.repartition(definition.name, existing.partitions, definition.partitions, start);
      }
      const updated: ConsumerRecord = {
        ...existing,
        subjects: [...definition.subjects],
        partitions: definition.partitions,
        maxAttempts: definition.maxAttempts,
        updatedAt: new Date(),
      };
      this.data.consumers.set(definition.name, updated);
      return copy(updated);
    });
  }

  reset(name: string, position: Position): Promise<void> {
    return promised(() => {
      this.assertOpen();
      validatePosition(position);
      const record = this.data.consumers.get(name);
      if (record === undefined) {
        throw new NotFoundError(`no consumer named ${JSON.stringify(name)}`, {
          reason: 'unknown_consumer',
        });
      }
      const { membership } = this.data;
      const generation = membership.generation(name) + 1;
      membership.generations.set(name, generation);
      for (const owner of membership.assignments.get(name) ?? []) {
        owner.member = null;
        owner.revoking = false;
      }
      const partitions = Array.from({ length: record.partitions }, (_, partition) => partition);
      this.writePositions(
        name,
        partitions.map((partition) => ({ partition, position })),
        generation,
      );
      const deliveries = this.data.deliveries.get(name);
      for (const [id, delivery] of deliveries ?? []) {
        if (delivery.state === 'retryable' && !delivery.replay) deliveries?.delete(id);
      }
      membership.announce(name);
    });
  }

  get(name: string): Promise<ConsumerRecord | undefined> {
    return promised(() => {
      this.assertOpen();
      const record = this.data.consumers.get(name);
      return record === undefined ? undefined : copy(record);
    });
  }

  list(): Promise<ConsumerRecord[]> {
    return promised(() => {
      this.assertOpen();
      return [...this.data.consumers.values()]
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .map(copy);
    });
  }

  private create(definition: ConsumerDefinition, start: Position): ConsumerRecord {
    const now = new Date();
    const record: ConsumerRecord = {
      name: definition.name,
      sequence: { ...definition.sequence },
      subjects: [...definition.subjects],
      partitions: definition.partitions,
      maxAttempts: definition.maxAttempts,
      createdAt: now,
      updatedAt: now,
    };
    this.data.consumers.set(record.name, record);
    this.writePositions(
      record.name,
      Array.from({ length: record.partitions }, (_, partition) => ({ partition, position: start })),
      0,
    );
    return record;
  }

  private repartition(name: string, oldCount: number, newCount: number, start: Position): void {
    const current = [...(this.data.positions.get(name)?.values() ?? [])];
    const remapped = remapPositions(current, oldCount, newCount, start);
    const generation = Math.max(0, ...current.map((p) => p.generation)) + 1;
    this.writePositions(name, remapped, generation);
  }

  private writePositions(
    name: string,
    positions: readonly { partition: number; position: Position }[],
    generation: number,
  ): void {
    const updatedAt = new Date();
    this.data.positions.set(
      name,
      new Map<number, PartitionPosition>(
        positions.map(({ partition, position }) => [
          partition,
          { partition, position, generation, updatedAt },
        ]),
      ),
    );
  }
}

function sameOptions(record: ConsumerRecord, definition: ConsumerDefinition): boolean {
  return (
    record.partitions === definition.partitions &&
    record.maxAttempts === definition.maxAttempts &&
    record.subjects.join('\n') === definition.subjects.join('\n')
  );
}

/** Callers get their own copy: nothing they change reaches the registry. */
function copy(record: ConsumerRecord): ConsumerRecord {
  return {
    ...record,
    sequence: { ...record.sequence },
    subjects: [...record.subjects],
    createdAt: new Date(record.createdAt),
    updatedAt: new Date(record.updatedAt),
  };
}
