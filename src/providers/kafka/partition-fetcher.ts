/**
 * Reads one topic partition from an offset. Each fetcher has a connection
 * of its own: a broker answers one request per connection at a time, so
 * partitions that long-poll side by side on one connection would wait for
 * each other. A fetch returns more records than one read takes; the rest
 * stays buffered for the next read, which almost always starts right there.
 */
import { ConnectionPool, type KafkaRecord, type RecordsBatch } from '@platformatic/kafka';
import { ConnectionError } from '../../core/errors.js';
import type { KafkaCluster } from './kafka-cluster.js';
import { isKafkaError, toMillraceError } from './kafka-errors.js';

/** Attribute bit of a batch of transaction markers, which are not events. */
const IS_CONTROL = 0x20;
const PARTITION_MAX_BYTES = 4 * 1024 * 1024;

export interface FetchedRecord {
  readonly offset: bigint;
  readonly time: bigint;
  readonly record: KafkaRecord;
}

export interface Fetched {
  readonly records: readonly FetchedRecord[];
  /** The offset to read next: past every record returned (and skipped). */
  readonly next: bigint;
  /** The partition's high watermark as the broker last told it. */
  readonly highWatermark: bigint;
}

/** Kafka error codes a fetch answers per partition. */
const OFFSET_OUT_OF_RANGE = 1;

export class PartitionFetcher {
  /** Taken by a read in progress (the log hands each read an idle fetcher). */
  busy = false;
  private readonly pool: ConnectionPool;
  private buffered: FetchedRecord[] = [];
  private bufferedFrom = -1n;
  private highWatermark = 0n;

  constructor(
    private readonly cluster: KafkaCluster,
    private readonly topic: string,
    private readonly partition: number,
  ) {
    this.pool = new ConnectionPool(`${cluster.options.clientId}-fetch`);
  }

  /** Whether records from `offset` on are buffered here already. */
  startsAt(offset: bigint): boolean {
    return this.bufferedFrom === offset && this.buffered.length > 0;
  }

  /** Up to `limit` records from `offset` on, waiting up to `waitMs` for the first. */
  async fetch(offset: bigint, limit: number, waitMs: number): Promise<Fetched> {
    if (this.bufferedFrom !== offset || this.buffered.length === 0) {
      await this.fill(offset, waitMs);
    }
    const records = this.buffered.splice(0, limit);
    const last = records[records.length - 1];
    const next = last === undefined ? this.bufferedFrom : last.offset + 1n;
    this.bufferedFrom = next;
    return { records, next, highWatermark: this.highWatermark };
  }

  private async fill(offset: bigint, waitMs: number): Promise<void> {
    this.buffered = [];
    this.bufferedFrom = offset;
    const metadata = await this.cluster.topic(this.topic);
    const partition = metadata.partitions[this.partition];
    if (partition === undefined) {
      throw new ConnectionError(`kafka topic ${this.topic} has no partition ${this.partition}`);
    }
    let response;
    try {
      response = await this.cluster.reader.fetch({
        node: partition.leader,
        maxWaitTime: waitMs,
        minBytes: 1,
        maxBytes: PARTITION_MAX_BYTES,
        connectionPool: this.pool,
        topics: [
          {
            topicId: metadata.id,
            partitions: [
              {
                partition: this.partition,
                currentLeaderEpoch: partition.leaderEpoch,
                fetchOffset: offset,
                lastFetchedEpoch: -1,
                partitionMaxBytes: PARTITION_MAX_BYTES,
              },
            ],
          },
        ],
      });
    } catch (error) {
      // A leader moved or went away: read the metadata again before the next try.
      if (
        isKafkaError(error, 'NOT_LEADER_OR_FOLLOWER', 'FENCED_LEADER_EPOCH', 'UNKNOWN_LEADER_EPOCH')
      ) {
        await this.cluster.topic(this.topic, true).catch(() => undefined);
      } else {
        this.cluster.reader.clearMetadata();
        await this.cluster.topic(this.topic, true).catch(() => undefined);
      }
      throw toMillraceError(error, `fetch ${this.topic}[${this.partition}]`);
    }
    const answer = response.responses[0]?.partitions[0];
    if (answer === undefined) return;
    if (answer.errorCode === OFFSET_OUT_OF_RANGE) {
      // Below the log start, the records are gone (Kafka's retention): go on from the first one kept.
      if (offset < answer.logStartOffset) this.bufferedFrom = answer.logStartOffset;
      return;
    }
    if (answer.errorCode !== 0) {
      await this.cluster.topic(this.topic, true).catch(() => undefined);
      throw new ConnectionError(
        `kafka: fetch ${this.topic}[${this.partition}] failed with error code ${answer.errorCode}`,
      );
    }
    this.highWatermark = answer.highWatermark;
    this.buffered = flatten(answer.records ?? [], offset);
    // Only markers fetched: move past them, or the next read fetches them again.
    if (this.buffered.length === 0) this.bufferedFrom = lastOffset(answer.records ?? [], offset);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

function flatten(batches: readonly RecordsBatch[], from: bigint): FetchedRecord[] {
  const out: FetchedRecord[] = [];
  for (const batch of batches) {
    if ((batch.attributes & IS_CONTROL) !== 0) continue;
    for (const record of batch.records) {
      const offset = batch.firstOffset + BigInt(record.offsetDelta);
      // A batch is returned whole: records before the requested offset were read already.
      if (offset < from) continue;
      out.push({ offset, time: batch.firstTimestamp + record.timestampDelta, record });
    }
  }
  return out;
}

function lastOffset(batches: readonly RecordsBatch[], from: bigint): bigint {
  let next = from;
  for (const batch of batches) {
    const end = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
    if (end > next) next = end;
  }
  return next;
}
