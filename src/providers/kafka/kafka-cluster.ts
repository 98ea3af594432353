/**
 * The connections one provider shares: an admin client, one idempotent
 * producer (acks=all), and a reader client for metadata and fetches. Topics
 * are created on first use, with the provider's partition count and
 * replication, and their metadata is cached until a fetch says it is stale.
 */
import {
  Admin,
  Consumer,
  ProduceAcks,
  Producer,
  type ClusterTopicMetadata,
} from '@platformatic/kafka';
import { NotFoundError } from '../../core/errors.js';
import { isKafkaError, kafkaCall, toMillraceError } from './kafka-errors.js';
import { KafkaNames, type ResolvedKafkaOptions } from './kafka-options.js';
import { SerialProducer } from './serial-producer.js';

const METADATA_MAX_AGE_MS = 5000;

export interface TopicSpec {
  readonly partitions: number;
  /** Compacted: the provider's own state, keyed (a tombstone deletes). */
  readonly compacted?: boolean;
}

export class KafkaCluster {
  readonly names: KafkaNames;
  readonly admin: Admin;
  /** Every produce goes through it: one request in flight (see serial-producer.ts). */
  readonly producer: SerialProducer;
  readonly reader: Consumer;
  private readonly created = new Map<string, Promise<void>>();
  /** Topic metadata as last read: every read of a partition needs its leader. */
  private readonly known = new Map<string, { metadata: ClusterTopicMetadata; at: number }>();

  constructor(readonly options: ResolvedKafkaOptions) {
    this.names = new KafkaNames(options.prefix);
    const base = {
      clientId: options.clientId,
      bootstrapBrokers: [...options.brokers],
      retries: 5,
      retryDelay: 200,
    };
    this.admin = new Admin(base);
    this.producer = new SerialProducer(
      () => new Producer({ ...base, idempotent: true, acks: ProduceAcks.ALL }),
    );
    // Never joins a group: it only fetches, by partition and offset.
    this.reader = new Consumer({ ...base, groupId: `${options.prefix}._reader` });
  }

  /** Creates the topic unless it exists (once per process). */
  ensureTopic(topic: string, spec: TopicSpec): Promise<void> {
    let creating = this.created.get(topic);
    if (creating === undefined) {
      creating = this.create(topic, spec);
      this.created.set(topic, creating);
      creating.catch(() => this.created.delete(topic));
    }
    return creating;
  }

  private async create(topic: string, spec: TopicSpec): Promise<void> {
    try {
      await this.admin.createTopics({
        topics: [topic],
        partitions: spec.partitions,
        replicas: this.options.replicationFactor,
        configs: spec.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
      });
    } catch (error) {
      if (!isKafkaError(error, 'TOPIC_ALREADY_EXISTS')) {
        throw toMillraceError(error, `create topic ${topic}`);
      }
    }
    await this.topic(topic, true);
  }

  /**
   * The topic's metadata; NotFoundError if it does not exist. Cached for a
   * few seconds (a failed fetch asks for it `fresh`, so a moved leader is
   * found at once).
   */
  async topic(topic: string, fresh = false): Promise<ClusterTopicMetadata> {
    const cached = this.known.get(topic);
    if (!fresh && cached !== undefined && Date.now() - cached.at < METADATA_MAX_AGE_MS) {
      return cached.metadata;
    }
    const metadata = await kafkaCall(`read metadata of ${topic}`, () =>
      this.reader.metadata({ topics: [topic], forceUpdate: fresh, autocreateTopics: false }),
    ).catch((error: unknown) => {
      if (isKafkaError((error as Error).cause, 'UNKNOWN_TOPIC_OR_PARTITION')) {
        throw new NotFoundError(`kafka topic ${topic} does not exist`, {
          reason: 'topic_not_found',
        });
      }
      throw error;
    });
    const found = metadata.topics.get(topic);
    if (found === undefined) {
      throw new NotFoundError(`kafka topic ${topic} does not exist`, { reason: 'topic_not_found' });
    }
    this.known.set(topic, { metadata: found, at: Date.now() });
    return found;
  }

  /** The topic's partition count, or undefined if it does not exist yet. */
  async partitionsOf(topic: string): Promise<number | undefined> {
    try {
      return (await this.topic(topic)).partitionsCount;
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.producer.close(), this.reader.close(), this.admin.close()]);
  }
}
