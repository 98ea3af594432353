/**
 * The Redis Streams provider: the same consumers, over one Redis server or
 * a Redis Cluster. A category is split into partitions, each a Redis
 * stream; a position is a partition's own counter; consumers are allocated
 * by millrace's allocator (a leader elected by a lease with terms) with
 * every membership write a script on the consumer's hash tag; commits are
 * fenced by the assignment in the same script. Delayed events wait in a
 * schedule under the namespace's tag, delivered by the holder of a lease of
 * their own (redis-scheduled.ts). Retention prunes partition by partition
 * (redis-retention.ts). What Redis cannot give (publishing in a
 * database transaction, effectively-once handling, one order over the whole
 * log) the capabilities say, and the API refuses it.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Provider, ProviderCapabilities } from '../../core/contracts/provider.js';
import type { DelayedEvents } from '../../core/contracts/scheduled.js';
import { ConnectionError } from '../../core/errors.js';
import { TabledDeliveries } from '../../core/kit/deliveries/tabled-deliveries.js';
import { TabledKeys } from '../../core/kit/keys/tabled-keys.js';
import { AllocatedMembership } from '../../core/kit/membership/allocated-membership.js';
import type { Logger } from '../../core/logger.js';
import { RedisCategories } from './redis-categories.js';
import { RedisConnection } from './redis-connection.js';
import { RedisDeliveryTable } from './redis-deliveries.js';
import { RedisKeyTable } from './redis-key-table.js';
import { RedisKeys } from './redis-keys.js';
import { ALLOCATOR_LEASE, RedisLeaseElector } from './redis-lease-elector.js';
import { RedisSession } from './redis-session.js';
import { RedisLog } from './redis-log.js';
import { RedisMembershipStore } from './redis-membership-store.js';
import type { ResolvedRedisOptions } from './redis-options.js';
import { RedisPositions } from './redis-positions.js';
import { RedisRegistry } from './redis-registry.js';
import { RedisRetention } from './redis-retention.js';
import { RedisScheduledEvents, SCHEDULER_LEASE } from './redis-scheduled.js';
import { reportPersistence } from './redis-persistence.js';
import type { NamedLeases } from '../../core/contracts/elector.js';
import { namedLease } from '../../core/kit/election/named-lease.js';

export const REDIS_CAPABILITIES: ProviderCapabilities = {
  optimisticConcurrency: true,
  transactionalPublish: false,
  transactionalHandling: false,
  globalOrder: false,
  wakeups: false,
  sequences: ['category'],
  allocation: 'millrace',
  maxPartitions: 1024,
  delayedEvents: true,
};

export class RedisProvider implements Provider<never> {
  /** No transactions: a publish cannot run in one, nor a handler write through one. */
  declare readonly transactionType?: never;
  readonly kind = 'redis';
  readonly capabilities = REDIS_CAPABILITIES;
  readonly log: RedisLog;
  readonly positions: RedisPositions;
  readonly deliveries: TabledDeliveries;
  readonly registry: RedisRegistry;
  readonly keys: TabledKeys;
  readonly members: RedisMembershipStore;
  readonly membership: AllocatedMembership<never>;
  readonly wakeups = undefined;
  readonly delayed: DelayedEvents<never>;
  /** Per partition, never past a category consumer's position there (redis-retention.ts). */
  readonly retention: RedisRetention;
  readonly leases: NamedLeases | undefined;
  private readonly scheduled: RedisScheduledEvents;
  private closing: Promise<void> | undefined;

  constructor(
    readonly connection: RedisConnection,
    logger: Logger,
  ) {
    const { options } = connection;
    const keys = new RedisKeys(options.prefix);
    const categories = new RedisCategories(connection, keys);
    this.log = new RedisLog(connection, categories);
    this.positions = new RedisPositions(connection, keys);
    this.deliveries = new TabledDeliveries(new RedisDeliveryTable(connection, keys));
    this.registry = new RedisRegistry(connection, categories);
    this.retention = new RedisRetention({
      connection,
      categories,
      registry: this.registry,
      positions: this.positions,
    });
    this.keys = new TabledKeys(new RedisKeyTable(connection, keys.apiKeys));
    // This process's connection, as the others watch it: its members and its leadership end with it.
    const session = new RedisSession(connection.client);
    this.members = new RedisMembershipStore(connection, keys, session);
    const electorOptions = {
      session,
      holder: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      host: hostname(),
      pid: process.pid,
      ttlMs: options.leaderTimeoutMs,
      intervalMs: options.allocatorTickMs,
    };
    const elector = new RedisLeaseElector(connection, keys, {
      ...electorOptions,
      lease: ALLOCATOR_LEASE,
    });
    this.membership = new AllocatedMembership<never>(this.members, this.positions, elector, {
      tickMs: options.allocatorTickMs,
      logger,
    });
    // Named leases serve work fenced by one atomic append across streams (the bridge's batch
    // and its checkpoint): on a cluster those streams may live on different nodes, so none.
    this.leases =
      options.nodes === undefined
        ? {
            elector: (name, timing) =>
              new RedisLeaseElector(connection, keys, {
                ...electorOptions,
                ...timing,
                holder: `${electorOptions.holder}:${randomUUID().slice(0, 8)}`,
                lease: namedLease(name),
                announceResign: false,
              }),
          }
        : undefined;
    this.scheduled = new RedisScheduledEvents(connection, keys, categories, this.log);
    this.delayed = {
      store: this.scheduled,
      // A lease of its own; nobody waits on its release, so resigning announces nothing.
      createElector: () =>
        new RedisLeaseElector(connection, keys, {
          ...electorOptions,
          lease: SCHEDULER_LEASE,
          announceResign: false,
        }),
    };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.membership.close();
      await this.members.close();
      await this.scheduled.close();
      await this.connection.close();
    })();
    return this.closing;
  }
}

/**
 * Connects, failing fast with the server named when none answers. Reached
 * only through `redis()` in redis.ts, which imports this module (and with it
 * the Redis client) when a Redis provider is opened.
 */
export async function openRedisProvider(
  options: ResolvedRedisOptions,
  logger: Logger,
): Promise<RedisProvider> {
  const connection = new RedisConnection(options);
  const where = describeServer(options);
  try {
    await connection.connect();
    await connection.client.ping();
  } catch (error) {
    await connection.close().catch(() => undefined);
    const message = error instanceof Error ? error.message : String(error);
    throw new ConnectionError(
      `redis: no server answers at ${where} (${message}); start one with \`redis-server --daemonize yes\``,
      { cause: error },
    );
  }
  await reportPersistence(connection.client, where, logger);
  return new RedisProvider(connection, logger);
}

/** The server or the cluster's seed nodes, as they may be shown: no credentials. */
function describeServer(options: ResolvedRedisOptions): string {
  if (options.nodes !== undefined)
    return options.nodes.map((n) => `${n.host}:${n.port}`).join(', ');
  const url = new URL(options.url as string);
  return `${url.protocol}//${url.host}`;
}
