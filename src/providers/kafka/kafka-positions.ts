/**
 * Positions on Kafka are the consumer group's committed offsets. They are
 * written only by a member's session, through its own group client, so the
 * group coordinator checks its generation (see KafkaMemberSession.commit).
 */
import type { PartitionPosition, PositionStore } from '../../core/contracts/positions.js';
import { BEGINNING } from '../../core/position.js';
import type { KafkaCluster } from './kafka-cluster.js';
import type { KafkaGroupOffsets } from './kafka-group-offsets.js';
import { categoryOf } from './kafka-log.js';
import type { KafkaRegistry } from './kafka-registry.js';

export class KafkaPositions implements PositionStore {
  constructor(
    private readonly cluster: KafkaCluster,
    private readonly registry: KafkaRegistry,
    private readonly groups: KafkaGroupOffsets,
  ) {}

  async load(consumer: string): Promise<PartitionPosition[]> {
    const record = await this.registry.get(consumer);
    if (record === undefined) return [];
    const topic = this.cluster.names.topic(categoryOf(record.sequence));
    const offsets = await this.groups.committed(
      this.cluster.names.group(consumer),
      topic,
      record.partitions,
    );
    // Kafka keeps neither the generation nor the time of a commit.
    const now = new Date();
    return offsets.map((offset, partition) => ({
      partition,
      position: offset < 0n ? BEGINNING : offset.toString(),
      generation: 0,
      updatedAt: now,
    }));
  }
}
