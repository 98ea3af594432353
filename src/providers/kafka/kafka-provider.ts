/**
 * The Kafka provider: the same consumers, over a Kafka cluster. A category
 * is a topic, a stream a record key, a position an offset (+1) within a
 * partition, a consumer a consumer group whose coordinator assigns the
 * partitions. Retries and dead letters work as on PostgreSQL, from a
 * compacted topic; what Kafka cannot give (stream versions, publishing in
 * a database transaction, one order over the whole log, delayed events,
 * pruning by consumers) the capabilities say, and the API refuses with an
 * UnsupportedError.
 */
import type { Provider, ProviderCapabilities } from '../../core/contracts/provider.js';
import { ConnectionError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { KafkaCluster } from './kafka-cluster.js';
import { decodeDelivery, TabledDeliveries } from '../../core/kit/deliveries/tabled-deliveries.js';
import { KafkaGroupOffsets } from './kafka-group-offsets.js';
import { KafkaLog } from './kafka-log.js';
import { KafkaMembership } from './kafka-membership.js';
import { KafkaOffsets } from './kafka-offsets.js';
import type { ResolvedKafkaOptions } from './kafka-options.js';
import { KafkaPositions } from './kafka-positions.js';
import { decodeConsumer, KafkaRegistry } from './kafka-registry.js';
import { TabledKeys, decodeKey } from '../../core/kit/keys/tabled-keys.js';
import { KafkaTable } from './kafka-table.js';

export const KAFKA_CAPABILITIES: ProviderCapabilities = {
  optimisticConcurrency: false,
  transactionalPublish: false,
  transactionalHandling: false,
  globalOrder: false,
  wakeups: false,
  sequences: ['category'],
  allocation: 'provider',
  maxPartitions: 10_000,
  delayedEvents: false,
};

export class KafkaProvider implements Provider<never> {
  /** No transactions: a publish cannot run in one, nor a handler write through one. */
  declare readonly transactionType?: never;
  readonly kind = 'kafka';
  readonly capabilities = KAFKA_CAPABILITIES;
  readonly log: KafkaLog;
  readonly positions: KafkaPositions;
  readonly deliveries: TabledDeliveries;
  readonly registry: KafkaRegistry;
  readonly keys: TabledKeys;
  readonly membership: KafkaMembership;
  readonly wakeups = undefined;
  readonly delayed = undefined;
  private readonly tables: KafkaTable<unknown>[];
  private closing: Promise<void> | undefined;

  constructor(
    private readonly cluster: KafkaCluster,
    logger: Logger,
  ) {
    const offsets = new KafkaOffsets(cluster);
    const groups = new KafkaGroupOffsets(cluster);
    const consumers = new KafkaTable(cluster, cluster.names.consumersTopic, decodeConsumer);
    const deliveries = new KafkaTable(cluster, cluster.names.deliveriesTopic, decodeDelivery);
    const keys = new KafkaTable(cluster, cluster.names.keysTopic, decodeKey);
    this.tables = [consumers, deliveries, keys] as KafkaTable<unknown>[];
    this.keys = new TabledKeys(keys);
    this.log = new KafkaLog(cluster, offsets);
    this.deliveries = new TabledDeliveries(deliveries);
    this.registry = new KafkaRegistry(cluster, consumers, offsets, groups, this.deliveries);
    this.membership = new KafkaMembership(cluster, this.registry, logger);
    this.positions = new KafkaPositions(cluster, this.registry, groups);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.membership.close();
      await this.log.close();
      await Promise.allSettled(this.tables.map((t) => t.close()));
      await this.cluster.close();
    })();
    return this.closing;
  }
}

/**
 * Connects to the cluster, failing fast with the brokers named when none
 * answers. Reached only through `kafka()` in kafka.ts, which imports this
 * module (and with it the Kafka client) when a Kafka provider is opened.
 */
export async function openKafkaProvider(
  resolved: ResolvedKafkaOptions,
  logger: Logger,
): Promise<KafkaProvider> {
  const cluster = new KafkaCluster(resolved);
  try {
    await cluster.reader.metadata({ topics: [] });
  } catch (error) {
    await cluster.close();
    const message = error instanceof Error ? error.message : String(error);
    throw new ConnectionError(
      `kafka: no broker answers at ${resolved.brokers.join(', ')} (${message}); start one with scripts/kafka/kafka.sh start`,
      { cause: error },
    );
  }
  return new KafkaProvider(cluster, logger);
}
