/**
 * A consumer's positions are its consumer group's committed offsets (the
 * offset to read next, which is a millrace position). Outside a running
 * member they are read and set through the admin API, which Kafka allows
 * to set only while the group has no members.
 */
import type { KafkaCluster } from './kafka-cluster.js';
import { groupCall, isKafkaError } from './kafka-errors.js';

export class KafkaGroupOffsets {
  constructor(private readonly cluster: KafkaCluster) {}

  /** Committed offsets per partition; -1 where nothing was committed. */
  async committed(group: string, topic: string, partitions: number): Promise<bigint[]> {
    const groups = await groupCall(`read offsets of group ${group}`, () =>
      this.cluster.admin.listConsumerGroupOffsets({
        groups: [
          {
            groupId: group,
            topics: [{ name: topic, partitionIndexes: [...Array(partitions).keys()] }],
          },
        ],
      }),
    );
    const offsets = new Array<bigint>(partitions).fill(-1n);
    for (const { name, partitions: found } of groups[0]?.topics ?? []) {
      if (name !== topic) continue;
      for (const { partitionIndex, committedOffset } of found)
        offsets[partitionIndex] = committedOffset;
    }
    return offsets;
  }

  /** Sets every partition's offset; false if the group has members (Kafka refuses then). */
  async set(group: string, topic: string, offsets: readonly bigint[]): Promise<boolean> {
    try {
      await groupCall(`set offsets of group ${group}`, () =>
        this.cluster.admin.alterConsumerGroupOffsets({
          groupId: group,
          topics: [
            {
              name: topic,
              partitionOffsets: offsets.map((offset, partition) => ({ partition, offset })),
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      const cause = (error as Error).cause;
      if (isKafkaError(cause, 'UNKNOWN_MEMBER_ID', 'NON_EMPTY_GROUP', 'REBALANCE_IN_PROGRESS')) {
        return false;
      }
      throw error;
    }
  }

  /** Whether the group has members now. */
  async active(group: string): Promise<boolean> {
    const described = await groupCall(`describe group ${group}`, () =>
      this.cluster.admin.describeGroups({ groups: [group] }),
    );
    const found = described.get(group);
    return found !== undefined && found.members.size > 0;
  }
}
