/**
 * Offsets of a topic's partitions: the earliest kept, the latest, or the
 * first at a time. Kafka positions are per partition, so a consumer's start
 * ('end', a time) resolves to one offset per partition, here.
 */
import type { StartFrom } from '../../core/contracts/registry.js';
import type { KafkaCluster } from './kafka-cluster.js';
import { kafkaCall } from './kafka-errors.js';

const LATEST = -1n;
const EARLIEST = -2n;

export class KafkaOffsets {
  constructor(private readonly cluster: KafkaCluster) {}

  latest(topic: string): Promise<bigint[]> {
    return this.list(topic, LATEST);
  }

  earliest(topic: string): Promise<bigint[]> {
    return this.list(topic, EARLIEST);
  }

  /** Where each partition starts for `from`: the offset of the first record to handle. */
  async resolve(topic: string, from: StartFrom, partitions: number): Promise<bigint[]> {
    switch (from.kind) {
      case 'beginning':
        return new Array<bigint>(partitions).fill(0n);
      case 'end':
        return this.latest(topic);
      case 'position':
        return new Array<bigint>(partitions).fill(BigInt(from.position));
      case 'time': {
        const [atTime, latest] = await Promise.all([
          this.list(topic, BigInt(from.time.getTime())),
          this.latest(topic),
        ]);
        // -1: no record at or after the time yet; start at the end.
        return atTime.map((offset, p) => (offset < 0n ? (latest[p] ?? 0n) : offset));
      }
    }
  }

  private async list(topic: string, timestamp: bigint): Promise<bigint[]> {
    const offsets = await kafkaCall(`list offsets of ${topic}`, () =>
      this.cluster.reader.listOffsets({ topics: [topic], timestamp }),
    );
    return [...(offsets.get(topic) ?? [])].map((offset) => offset ?? 0n);
  }
}
