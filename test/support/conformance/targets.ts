/**
 * The backends the conformance suite runs against. A target says up front
 * what it can do (its declared capabilities, checked against the opened
 * provider by capabilities.conformance.test.ts, so the suite cannot be
 * talked out of a scenario by a wrong declaration), how long its membership
 * takes to settle, and hands out fresh, isolated namespaces.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import {
  Millrace,
  pglite,
  type MillraceOptions,
  type ProviderCapabilities,
} from '../../../src/index.js';
import { TEST_DATABASE_URL, dropSchema, uniqueSchema } from '../database.js';
import { assertKafkaReachable, deleteKafkaNamespace, kafkaBrokers } from '../kafka.js';
import { TEST_REDIS_URL, checkRedis, dropPrefix, uniquePrefix } from '../redis.js';
import { redisClusterNodes } from '../redis-cluster.js';
import { ageRedisEvents } from '../redis-aging.js';
import { recordingLogger } from '../wait.js';
import { freshPglite } from './pglite-template.js';
import { openProviderFromSpec, type ProviderSpec } from './provider-spec.js';

export type { ProviderSpec } from './provider-spec.js';
export { openProviderFromSpec } from './provider-spec.js';

export type TargetName = 'postgres' | 'pglite' | 'kafka' | 'redis' | 'redis-cluster';

/**
 * What a target claims. `maxPartitions` is left out (the suite always uses
 * the default 8 partitions, which every backend takes); `retention` says
 * whether `millrace.prune` works.
 */
export type TargetCapabilities = Omit<ProviderCapabilities, 'maxPartitions'> & {
  readonly retention: boolean;
};

export interface TargetTiming {
  /** Deadline for events to be handled, and for membership to settle after a join, leave or death. */
  readonly settleMs: number;
  /**
   * `sessionTimeoutMs` for tests that wait for a dead member to be noticed:
   * as short as the backend accepts.
   */
  readonly sessionTimeoutMs: number;
  /**
   * The bound on a killed member's partitions being handled elsewhere, with
   * that session timeout: the timeout, plus time to notice, reassign and start.
   */
  readonly recoveryMs: number;
}

/** How a namespace is laid out, where the backend fixes it when it creates a category. */
export interface NamespaceLayout {
  /** The partitions the namespace's consumers read (Kafka: each topic's); by default 8. */
  readonly partitions?: number;
}

export interface ConformanceTarget {
  readonly name: TargetName;
  readonly capabilities: TargetCapabilities;
  /** Whether its instances have a `processSpec` (can be shared with child processes). */
  readonly sharedAcrossProcesses: boolean;
  readonly timing: TargetTiming;
  /** A fresh, isolated namespace (schema / topic prefix) for one test file or test. */
  setup(layout?: NamespaceLayout): Promise<TargetInstance>;
}

export interface TargetInstance {
  /**
   * Where a category's partitions are the backend's (Kafka topics, Redis
   * streams: `globalOrder` false), how many a new category gets here; a
   * whole category is read partition by partition.
   */
  readonly categoryPartitions?: number;
  /** Opens a Millrace on this namespace (several may share it: competing members in one process). */
  open(options?: Omit<MillraceOptions, 'provider'>): Promise<Millrace>;
  /** JSON-able spec a child process can use to open the same namespace (undefined: it cannot be shared). */
  readonly processSpec: ProviderSpec | undefined;
  /**
   * Runs `work` in a transaction of the target's own database (the outbox),
   * committing if it resolves and rolling back if it throws; undefined where
   * the backend has no transactions to offer.
   */
  readonly transaction: (<T>(work: (transaction: unknown) => Promise<T>) => Promise<T>) | undefined;
  /**
   * Moves the time of every event up to `position` back by `ageMs`, for
   * retention by age (event times come from the backend's clock); present
   * on every target with `retention`.
   */
  readonly ageEvents?: (position: string, ageMs: number) => Promise<void>;
  /** Closes every Millrace it opened and drops the namespace where it can. */
  close(): Promise<void>;
}

const SQL_CAPABILITIES: TargetCapabilities = {
  optimisticConcurrency: true,
  transactionalPublish: true,
  transactionalHandling: true,
  globalOrder: true,
  wakeups: true,
  sequences: ['log', 'category', 'stream'],
  allocation: 'millrace',
  delayedEvents: true,
  retention: true,
};

/**
 * millrace's allocator moves partitions within a second or two; `settleMs`
 * is headroom for a loaded machine. A killed member is noticed within the
 * session timeout (on PostgreSQL at once: its session ends).
 */
const SQL_TIMING: TargetTiming = { settleMs: 30_000, sessionTimeoutMs: 2000, recoveryMs: 5000 };

const PGLITE_SCHEMA = 'conformance';

/** Moves the time of the events up to $2 back by $1 milliseconds. */
function ageEventsSql(schema: string): string {
  return `UPDATE "${schema}".events SET time = time - $1 * interval '1 millisecond'
          WHERE position <= $2`;
}

/** Opens Millrace instances, quiet (their logs are kept, not printed), and closes them all at the end. */
function opener(provider: () => MillraceOptions['provider']) {
  const opened: Millrace[] = [];
  return {
    open: async (options: Omit<MillraceOptions, 'provider'> = {}): Promise<Millrace> => {
      const millrace = await Millrace.open({
        logger: recordingLogger(),
        ...options,
        provider: provider(),
      });
      opened.push(millrace);
      return millrace;
    },
    closeAll: async (): Promise<void> => {
      await Promise.all(opened.splice(0).map((millrace) => millrace.close()));
    },
  };
}

export function postgresTarget(connectionString = TEST_DATABASE_URL): ConformanceTarget {
  return {
    name: 'postgres',
    capabilities: SQL_CAPABILITIES,
    sharedAcrossProcesses: true,
    timing: SQL_TIMING,
    setup() {
      const spec: ProviderSpec = {
        kind: 'postgres',
        connectionString,
        schema: uniqueSchema('conf'),
      };
      const instances = opener(() => openProviderFromSpec(spec));
      return Promise.resolve({
        open: instances.open,
        processSpec: spec,
        async transaction<T>(work: (transaction: unknown) => Promise<T>): Promise<T> {
          const client = new pg.Client({ connectionString });
          await client.connect();
          try {
            await client.query('BEGIN');
            try {
              const result = await work(client);
              await client.query('COMMIT');
              return result;
            } catch (error) {
              await client.query('ROLLBACK');
              throw error;
            }
          } finally {
            await client.end();
          }
        },
        async ageEvents(position, ageMs) {
          const client = new pg.Client({ connectionString });
          await client.connect();
          try {
            await client.query(ageEventsSql(spec.schema), [ageMs, position]);
          } finally {
            await client.end();
          }
        },
        async close() {
          await instances.closeAll();
          await dropSchema(spec.schema);
        },
      });
    },
  };
}

/**
 * Embedded PGlite in memory: one database per namespace, shared by every
 * Millrace opened on it (competing members inside one process). It lives in
 * this process only, hence no process spec.
 */
export function pgliteTarget(): ConformanceTarget {
  return {
    name: 'pglite',
    capabilities: SQL_CAPABILITIES,
    sharedAcrossProcesses: false,
    timing: SQL_TIMING,
    async setup() {
      const db = await freshPglite();
      const instances = opener(() => pglite({ db, schema: PGLITE_SCHEMA }));
      return {
        open: instances.open,
        processSpec: undefined,
        transaction: <T>(work: (transaction: unknown) => Promise<T>) =>
          db.transaction((tx) => work(tx)),
        async ageEvents(position, ageMs) {
          await db.query(ageEventsSql(PGLITE_SCHEMA), [ageMs, position]);
        },
        async close() {
          await instances.closeAll();
          await db.close();
        },
      };
    },
  };
}

/**
 * Kafka: a topic prefix per namespace. Group joins and rebalances take
 * seconds. A 2 s session timeout needs the broker's
 * `group.min.session.timeout.ms` below it (the broker's default is 6000;
 * scripts/kafka/kafka.sh sets 500).
 */
export function kafkaTarget(brokers: readonly string[] = kafkaBrokers()): ConformanceTarget {
  return {
    name: 'kafka',
    capabilities: {
      optimisticConcurrency: false,
      transactionalPublish: false,
      transactionalHandling: false,
      globalOrder: false,
      wakeups: false,
      sequences: ['category'],
      allocation: 'provider',
      delayedEvents: false,
      retention: false,
    },
    sharedAcrossProcesses: true,
    // A rebalance waits for every member to rejoin: seconds on top of the timeout.
    timing: { settleMs: 90_000, sessionTimeoutMs: 2000, recoveryMs: 8000 },
    async setup(layout = {}) {
      await assertKafkaReachable(brokers);
      const spec: ProviderSpec = {
        kind: 'kafka',
        brokers: [...brokers],
        prefix: `mr${randomBytes(5).toString('hex')}`,
        partitions: layout.partitions ?? 8,
      };
      const instances = opener(() => openProviderFromSpec(spec));
      return {
        categoryPartitions: spec.partitions,
        open: instances.open,
        processSpec: spec,
        transaction: undefined,
        async close() {
          await instances.closeAll();
          // Nothing in millrace's API deletes topics; a fresh prefix keeps runs
          // apart anyway, so what cannot be deleted yet is only reported.
          const left = await deleteKafkaNamespace(brokers, spec.prefix);
          if (left.length > 0)
            console.warn(`kafka namespace ${spec.prefix}: left ${left.join(', ')}`);
        },
      };
    },
  };
}

/**
 * Redis Streams: a key prefix per namespace, on the shared Redis. Members
 * are allocated by millrace's allocator, as on PostgreSQL.
 */
export function redisTarget(url = TEST_REDIS_URL): ConformanceTarget {
  return {
    name: 'redis',
    capabilities: {
      optimisticConcurrency: true,
      transactionalPublish: false,
      transactionalHandling: false,
      globalOrder: false,
      wakeups: false,
      sequences: ['category'],
      allocation: 'millrace',
      delayedEvents: true,
      retention: true,
    },
    sharedAcrossProcesses: true,
    timing: SQL_TIMING,
    async setup(layout = {}) {
      await checkRedis(url);
      const spec: ProviderSpec = {
        kind: 'redis',
        url,
        prefix: uniquePrefix('conf'),
        partitions: layout.partitions ?? 8,
      };
      const instances = opener(() => openProviderFromSpec(spec));
      return {
        categoryPartitions: spec.partitions,
        open: instances.open,
        processSpec: spec,
        transaction: undefined,
        // Through a Millrace of its own: its provider's client reaches the server or cluster.
        async ageEvents(position, ageMs) {
          await ageRedisEvents(await instances.open(), position, ageMs);
        },
        async close() {
          await instances.closeAll();
          await dropPrefix(spec.prefix, url);
        },
      };
    },
  };
}

/**
 * Redis Streams on a six-node Redis Cluster of the suite's own
 * (scripts/redis/cluster.sh, started by the global set-up): the same
 * provider over slots on three primaries.
 */
export function redisClusterTarget(): ConformanceTarget {
  const nodes = redisClusterNodes().map((n) => `${n.host}:${n.port}`);
  const single = redisTarget(`cluster:${nodes.join(',')}`);
  return { ...single, name: 'redis-cluster' };
}

const FACTORIES: Record<TargetName, () => ConformanceTarget> = {
  postgres: () => postgresTarget(),
  pglite: () => pgliteTarget(),
  kafka: () => kafkaTarget(),
  redis: () => redisTarget(),
  'redis-cluster': () => redisClusterTarget(),
};

/** The targets every run covers (global setup checks PostgreSQL, Kafka and Redis answer, and starts the Redis Cluster). */
const WIRED: readonly TargetName[] = ['postgres', 'pglite', 'kafka', 'redis', 'redis-cluster'];

/**
 * `CONFORMANCE_TARGETS=kafka` (comma-separated names) runs the suite against
 * chosen targets instead, such as one not yet wired in.
 */
function selected(env: string | undefined): readonly TargetName[] {
  if (env === undefined || env.trim() === '') return WIRED;
  const names = env.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!(name in FACTORIES)) {
      throw new Error(
        `CONFORMANCE_TARGETS: unknown target ${JSON.stringify(name)} (known: ${Object.keys(FACTORIES).join(', ')})`,
      );
    }
  }
  return names as TargetName[];
}

export const TARGETS: readonly ConformanceTarget[] = selected(process.env.CONFORMANCE_TARGETS).map(
  (name) => FACTORIES[name](),
);

/** Every target the suite knows, wired or not: the coverage matrix shows them all. */
export const KNOWN_TARGETS: readonly ConformanceTarget[] = Object.values(FACTORIES).map((make) =>
  make(),
);
