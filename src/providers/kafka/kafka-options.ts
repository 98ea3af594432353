/**
 * Options of the Kafka provider, validated once, and the mapping of
 * millrace names onto Kafka's: a category is the topic `<prefix>.<category>`,
 * a consumer is the consumer group `<prefix>.<consumer>`, and the provider's
 * own state lives in compacted topics `<prefix>._consumers` and
 * `<prefix>._deliveries` (a `_` cannot start a category, so they never clash).
 */
import { integerOption, optionError } from '../../core/kit/provider-options.js';

export interface KafkaOptions {
  /** Bootstrap brokers, `host:port`. @defaultValue ['127.0.0.1:9092'] */
  brokers?: string[];
  /** Namespaces topics and groups, so several millrace deployments share a cluster. @defaultValue 'millrace' */
  prefix?: string;
  /** Partitions of a category's topic when millrace creates it. @defaultValue 8 */
  partitions?: number;
  /** Replicas of the topics millrace creates. @defaultValue the broker's default.replication.factor */
  replicationFactor?: number;
  /** How long a read waits on the broker for new events (a long poll). @defaultValue 250 */
  fetchWaitMs?: number;
  /** Client id sent to the brokers (shows in their logs and quotas). @defaultValue 'millrace' */
  clientId?: string;
}

export interface ResolvedKafkaOptions {
  readonly brokers: readonly string[];
  readonly prefix: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly fetchWaitMs: number;
  readonly clientId: string;
}

const PREFIX = /^[A-Za-z0-9_-]{1,100}$/;
const BROKER = /^[A-Za-z0-9.-]+:[0-9]{1,5}$|^\[[0-9A-Fa-f:]+\]:[0-9]{1,5}$/;
const CLIENT_ID = /^[A-Za-z0-9._-]{1,100}$/;

const invalid = (option: string, message: string) => optionError('kafka', option, message);
const integer = (option: string, value: unknown, fallback: number, min: number, max: number) =>
  integerOption('kafka', option, value, fallback, min, max);

export function resolveKafkaOptions(options: KafkaOptions = {}): ResolvedKafkaOptions {
  const brokers = options.brokers ?? ['127.0.0.1:9092'];
  if (!Array.isArray(brokers) || brokers.length === 0) {
    throw invalid('brokers', 'must list at least one host:port');
  }
  for (const broker of brokers) {
    if (typeof broker !== 'string' || !BROKER.test(broker)) {
      throw invalid('brokers', `holds ${JSON.stringify(broker)}: expected host:port`);
    }
  }
  const prefix = options.prefix ?? 'millrace';
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    throw invalid(
      'prefix',
      'must be 1 to 100 letters, digits, _ or - (no dots: they separate names)',
    );
  }
  const clientId = options.clientId ?? 'millrace';
  if (typeof clientId !== 'string' || !CLIENT_ID.test(clientId)) {
    throw invalid('clientId', 'must be 1 to 100 letters, digits, ., _ or -');
  }
  return {
    brokers: [...brokers],
    prefix,
    clientId,
    partitions: integer('partitions', options.partitions, 8, 1, 10_000),
    replicationFactor: integer('replicationFactor', options.replicationFactor, -1, -1, 32),
    fetchWaitMs: integer('fetchWaitMs', options.fetchWaitMs, 250, 0, 30_000),
  };
}

/** Kafka names for millrace names (categories and consumers are validated before they get here). */
export class KafkaNames {
  constructor(readonly prefix: string) {}

  topic(category: string): string {
    return `${this.prefix}.${category}`;
  }

  group(consumer: string): string {
    return `${this.prefix}.${consumer}`;
  }

  get consumersTopic(): string {
    return `${this.prefix}._consumers`;
  }

  get deliveriesTopic(): string {
    return `${this.prefix}._deliveries`;
  }

  get keysTopic(): string {
    return `${this.prefix}._keys`;
  }

  /** The category of one of our topics, or undefined for any other topic. */
  categoryOf(topic: string): string | undefined {
    const head = `${this.prefix}.`;
    if (!topic.startsWith(head)) return undefined;
    const category = topic.slice(head.length);
    return category.startsWith('_') ? undefined : category;
  }
}
