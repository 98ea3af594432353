/**
 * The consumer registry on Kafka: definitions in the compacted
 * `<prefix>._consumers` topic, positions in each consumer's group. A
 * consumer's partitions are its topic's partitions, so the count is the
 * topic's; a new consumer's group offsets are set to its start, resolved
 * per partition, before its first member joins.
 */
import type {
  ConsumerDefinition,
  ConsumerRecord,
  ConsumerRegistry,
  StartFrom,
} from '../../core/contracts/registry.js';
import { ConflictError, NotFoundError, ValidationError } from '../../core/errors.js';
import {
  newStoredConsumer,
  reregistered,
  toConsumerRecord,
  type StoredConsumer,
} from '../../core/kit/stored-consumers.js';
import type { Position } from '../../core/position.js';
import { parseSequence } from '../../core/sequence.js';
import type { KafkaCluster } from './kafka-cluster.js';
import type { TabledDeliveries } from '../../core/kit/deliveries/tabled-deliveries.js';
import type { KafkaGroupOffsets } from './kafka-group-offsets.js';
import { categoryOf } from './kafka-log.js';
import type { KafkaOffsets } from './kafka-offsets.js';
import type { KafkaTable } from './kafka-table.js';

export function decodeConsumer(json: unknown): StoredConsumer {
  return json as StoredConsumer;
}

export class KafkaRegistry implements ConsumerRegistry {
  constructor(
    private readonly cluster: KafkaCluster,
    private readonly table: KafkaTable<StoredConsumer>,
    private readonly offsets: KafkaOffsets,
    private readonly groups: KafkaGroupOffsets,
    private readonly deliveries: TabledDeliveries,
  ) {}

  async register(
    definition: ConsumerDefinition,
    start: Position,
    from: StartFrom = { kind: 'position', position: start },
  ): Promise<ConsumerRecord> {
    const topic = this.cluster.names.topic(categoryOf(definition.sequence));
    await this.cluster.ensureTopic(topic, { partitions: this.cluster.options.partitions });
    const partitions = (await this.cluster.topic(topic)).partitionsCount;
    if (definition.partitions !== partitions) {
      throw new ValidationError(
        `kafka topic ${topic} has ${partitions} partitions: run consumer ${definition.name} with partitions: ${partitions}`,
        { reason: 'partition_count_mismatch', details: { topic, partitions } },
      );
    }
    const existing = await this.table.get(definition.name);
    const now = new Date().toISOString();
    if (existing === undefined) {
      const group = this.cluster.names.group(definition.name);
      // Set before the definition exists: a member that sees the definition finds its start.
      await this.groups.set(group, topic, await this.offsets.resolve(topic, from, partitions));
      const stored = newStoredConsumer(definition, partitions, now);
      await this.table.write([[definition.name, stored]]);
      return toConsumerRecord(stored);
    }
    const updated = reregistered(existing, definition, now);
    if (updated === undefined) return toConsumerRecord(existing);
    await this.table.write([[definition.name, updated]]);
    return toConsumerRecord(updated);
  }

  /**
   * Kafka lets offsets be set only while the group is empty: a reset while
   * members run is refused (ConflictError); stop them, reset, start again.
   */
  async reset(name: string, position: Position, from?: StartFrom): Promise<void> {
    const stored = await this.table.get(name);
    if (stored === undefined) {
      throw new NotFoundError(`no consumer named ${JSON.stringify(name)}`, {
        reason: 'consumer_not_found',
      });
    }
    const topic = this.cluster.names.topic(categoryOf(parseSequence(stored.sequence)));
    const group = this.cluster.names.group(name);
    const target = await this.offsets.resolve(
      topic,
      from ?? { kind: 'position', position },
      stored.partitions,
    );
    if ((await this.groups.active(group)) || !(await this.groups.set(group, topic, target))) {
      throw new ConflictError(
        `consumer ${name} has running members: on Kafka, stop them before a reset (Kafka sets a group's offsets only while it is empty)`,
        true,
        { reason: 'consumer_running' },
      );
    }
    await this.deliveries.forgetRetries(name);
  }

  async get(name: string): Promise<ConsumerRecord | undefined> {
    const stored = await this.table.get(name);
    return stored === undefined ? undefined : toConsumerRecord(stored);
  }

  async list(): Promise<ConsumerRecord[]> {
    const rows = await this.table.snapshot();
    return [...rows.values()].map(toConsumerRecord).sort((a, b) => (a.name < b.name ? -1 : 1));
  }
}
