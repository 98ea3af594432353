/**
 * The log on Kafka: a category is a topic, a stream is a record key, and a
 * position is an offset within a partition (`globalOrder: false`). Appends
 * go through one idempotent producer with acks=all, each event to its
 * stream's partition by Kafka's own key hash (murmur2, as the Java client),
 * so other Kafka clients agree on where a stream lives.
 */
import { murmur2 } from '@platformatic/kafka';
import type {
  AppendOptions,
  CountRequest,
  LogStore,
  ReadPage,
  ReadRequest,
} from '../../core/contracts/log.js';
import { UnsupportedError } from '../../core/errors.js';
import type { PreparedEvent, PublishedEvent } from '../../core/event.js';
import type { Event } from '../../core/event.js';
import type { Position } from '../../core/position.js';
import {
  noSingleEnd,
  noSinglePositionAtTime,
  partitionOfSlice,
} from '../../core/kit/per-partition-positions.js';
import type { EventSequence } from '../../core/sequence.js';
import { subjectMatcher } from '../../core/subjects.js';
import type { KafkaCluster } from './kafka-cluster.js';
import { fromRecord, positionOfOffset, toRecord } from './kafka-codec.js';
import type { KafkaOffsets } from './kafka-offsets.js';
import { PartitionFetcher } from './partition-fetcher.js';

/** Kafka's default partitioner for keyed records (Java's `Utils.toPositive(murmur2(key)) % n`). */
export function partitionOfStream(stream: string, partitions: number): number {
  return (murmur2(Buffer.from(stream)) & 0x7fffffff) % partitions;
}

export class KafkaLog implements LogStore {
  /** Per topic partition; several when several consumers of this process read it at once. */
  private readonly fetchers = new Map<string, PartitionFetcher[]>();

  constructor(
    private readonly cluster: KafkaCluster,
    private readonly offsets: KafkaOffsets,
  ) {}

  /**
   * Appends in one produce call. Events of one partition land together and
   * in order; a batch that spans partitions is not atomic across them (Kafka
   * would need a transaction per batch for that).
   */
  async append(
    events: readonly PreparedEvent[],
    options: AppendOptions = {},
  ): Promise<PublishedEvent[]> {
    if (options.transaction !== undefined) {
      throw new UnsupportedError('kafka cannot publish inside a database transaction', {
        reason: 'transactional_publish_unsupported',
      });
    }
    if (events.some((event) => event.expectedVersion !== null)) {
      throw new UnsupportedError('kafka keeps no stream versions: expectedVersion is refused', {
        reason: 'optimistic_concurrency_unsupported',
      });
    }
    if (events.length === 0) return [];
    // Topic metadata once per category in the batch, not per event.
    const partitionsOf = new Map<string, number>();
    for (const event of events) {
      if (partitionsOf.has(event.category)) continue;
      const topic = this.cluster.names.topic(event.category);
      await this.cluster.ensureTopic(topic, { partitions: this.cluster.options.partitions });
      partitionsOf.set(event.category, (await this.cluster.topic(topic)).partitionsCount);
    }
    const records = events.map((event) =>
      toRecord(
        event,
        this.cluster.names.topic(event.category),
        partitionOfStream(event.stream, partitionsOf.get(event.category) ?? 1),
      ),
    );
    const now = BigInt(Date.now());
    const offsets = await this.cluster.producer.send(
      records.map((r) => ({ ...r, timestamp: now })),
    );
    const time = new Date(Number(now));
    return events.map((event, i) => ({
      id: event.id,
      stream: event.stream,
      position: positionOfOffset(offsets[i] ?? -1n),
      version: -1,
      time,
    }));
  }

  async read(request: ReadRequest): Promise<ReadPage> {
    const category = categoryOf(request.sequence);
    const topic = this.cluster.names.topic(category);
    const partition = await this.partitionOf(topic, request.partition);
    if (partition === undefined)
      return { events: [], next: request.after, hasMore: false, pending: false };
    const fetcher = this.takeFetcher(topic, partition, BigInt(request.after));
    let fetched;
    try {
      fetched = await fetcher.fetch(
        BigInt(request.after),
        request.limit,
        request.wait === true ? this.cluster.options.fetchWaitMs : 0,
      );
    } finally {
      fetcher.busy = false;
    }
    const matches = subjectMatcher(request.subjects ?? []);
    const events: Event[] = [];
    for (const { offset, time, record } of fetched.records) {
      const event = fromRecord(record, { topic, category, partition, offset, time });
      if (matches(event.subject)) events.push(event);
    }
    const next = fetched.next.toString();
    return {
      events,
      next,
      hasMore: fetched.next < fetched.highWatermark,
      pending: false,
      // A consumer's fetch waited on the broker for new records: the next read may start at once.
      longPoll: request.wait === true,
    };
  }

  end(): Promise<Position> {
    return noSingleEnd('kafka');
  }

  positionAt(): Promise<Position> {
    return noSinglePositionAtTime('kafka');
  }

  /** Records after `after` in the partition (subjects are not counted apart: an upper bound). */
  async count(request: CountRequest): Promise<number> {
    const topic = this.cluster.names.topic(categoryOf(request.sequence));
    const partition = await this.partitionOf(topic, request.partition);
    if (partition === undefined) return 0;
    const latest = (await this.offsets.latest(topic))[partition] ?? 0n;
    const lag = latest - BigInt(request.after);
    return lag > 0n ? Number(lag) : 0;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.fetchers.values()].flat().map((f) => f.close()));
    this.fetchers.clear();
  }

  /** The Kafka partition a slice names; undefined while the topic does not exist. */
  private async partitionOf(
    topic: string,
    slice: ReadRequest['partition'],
  ): Promise<number | undefined> {
    const partitions = await this.cluster.partitionsOf(topic);
    if (partitions === undefined) return undefined;
    return partitionOfSlice(`kafka topic ${topic}`, partitions, slice, { topic });
  }

  /** An idle fetcher, preferably one whose buffer starts at `offset`. */
  private takeFetcher(topic: string, partition: number, offset: bigint): PartitionFetcher {
    const key = `${topic}:${partition}`;
    let all = this.fetchers.get(key);
    if (all === undefined) this.fetchers.set(key, (all = []));
    const idle = all.filter((f) => !f.busy);
    let fetcher = idle.find((f) => f.startsAt(offset)) ?? idle[0];
    if (fetcher === undefined) {
      fetcher = new PartitionFetcher(this.cluster, topic, partition);
      all.push(fetcher);
    }
    fetcher.busy = true;
    return fetcher;
  }
}

export function categoryOf(sequence: EventSequence): string {
  if (sequence.kind !== 'category') {
    throw new UnsupportedError(
      `kafka reads one category (a topic) at a time, not a ${sequence.kind} sequence`,
      { reason: 'sequence_unsupported' },
    );
  }
  return sequence.category;
}
