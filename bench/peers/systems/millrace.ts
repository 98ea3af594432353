/**
 * millrace itself, as the peer benchmark sees it: a job is an event of
 * category `job` on one of 10,000 streams, a worker is a consumer named
 * `bench` with the given concurrency. Everything else is left at its
 * default, as the README's quickstart leaves it: 8 partitions, `stream`
 * ordering (each stream's events in order, a stronger promise than any peer
 * makes), at-least-once delivery, pages of 500, commits every 1,000 events or
 * second.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Millrace, kafka, pglite, postgres, type EventInput } from '../../../src/index.js';
import { redis } from '../../../src/redis.js';
import type { ProviderFactory } from '../../../src/index.js';
import { deleteKafkaNamespace, kafkaBrokers } from '../../../test/support/kafka.js';
import { DATABASE_URL } from '../../backends.js';
import { createSchemaPlace, destroySchemaPlace, schemaOf } from './schema-place.js';
import type { Job, JobHandler, PeerSystem, Place, SystemKind } from '../system.js';
import {
  createRedisPlace,
  destroyRedisPlace,
  DURABILITY,
  REDIS_URL,
  type AppendFsync,
} from './redis-place.js';

process.env.MILLRACE_LOG_LEVEL ??= 'error';

const STREAMS = 10_000;

function jobEvent(job: Job): EventInput {
  return { stream: `job-${job.n % STREAMS}`, subject: 'job.created', data: { ...job } };
}

async function openOn(provider: ProviderFactory): Promise<PeerSystem> {
  const millrace = await Millrace.open({ provider });
  return {
    async enqueueBulk(jobs) {
      await millrace.publishBatch(jobs.map(jobEvent));
    },
    async enqueue(job) {
      await millrace.publish(jobEvent(job));
    },
    async work(concurrency: number, handler: JobHandler) {
      const consumer = millrace.consumer({
        name: 'bench',
        sequence: { category: 'job' },
        concurrency,
        handler: (event) => handler(event.data as unknown as Job),
      });
      await consumer.start();
      return () => consumer.stop();
    },
    close: () => millrace.close(),
  };
}

/** Creating a place opens millrace once there, which installs it (migrations, topics). */
async function install(open: () => Promise<PeerSystem>): Promise<void> {
  const system = await open();
  await system.close();
}

const DEFAULTS =
  'defaults throughout (8 partitions, `stream` ordering, pages of 500, commits every 1,000 events or 1 s) except the concurrency each scenario sets';

export const millracePostgres: SystemKind = {
  name: 'millrace-postgres',
  embedded: false,
  configuration: `millrace (this repository) on the shared PostgreSQL, a fresh schema per run: ${DEFAULTS}.`,
  create() {
    return createSchemaPlace('peer_mr', (schema) => install(() => this.open({ schema })));
  },
  open: (place: Place) =>
    openOn(postgres({ connectionString: DATABASE_URL, schema: schemaOf(place) })),
  destroy: destroySchemaPlace,
};

export const millracePglite: SystemKind = {
  name: 'millrace-pglite',
  embedded: true,
  configuration: `millrace on embedded PGlite (WASM PostgreSQL in the process, its own data directory, one process by design, so its workers run beside the enqueuer): ${DEFAULTS}.`,
  create: () => Promise.resolve({ dir: mkdtempSync(join(tmpdir(), 'millrace-peers-')) }),
  open: (place: Place) => openOn(pglite({ dataDir: join(place.dir as string, 'pgdata') })),
  destroy(place) {
    rmSync(place.dir as string, { recursive: true, force: true });
    return Promise.resolve();
  },
};

export const millraceKafka: SystemKind = {
  name: 'millrace-kafka',
  embedded: false,
  configuration: `millrace's Kafka provider on the single KRaft broker from scripts/kafka/kafka.sh (same machine, idempotent producer with acks=all), a fresh topic prefix per run, topics of 8 partitions: ${DEFAULTS}.`,
  async create() {
    const place = { prefix: `peers${randomBytes(4).toString('hex')}` };
    await install(() => this.open(place));
    return place;
  },
  open: (place: Place) =>
    openOn(kafka({ brokers: kafkaBrokers(), prefix: place.prefix as string, partitions: 8 })),
  async destroy(place) {
    await deleteKafkaNamespace(kafkaBrokers(), place.prefix as string);
  },
};

/** The URL of a Redis place: the shared server, the run's logical database. */
function redisUrlOf(place: Place): string {
  const url = new URL(place.url ?? REDIS_URL);
  url.pathname = `/${place.db}`;
  return url.toString();
}

function millraceRedisWith(name: string, fsync: AppendFsync): SystemKind {
  return {
    name,
    embedded: false,
    configuration: `millrace's Redis Streams provider on the shared Redis (one server, durability \`local\`: a write is acknowledged once Redis has it), a claimed empty logical database and a random key prefix per run, as BullMQ's: ${DEFAULTS}. ${DURABILITY[fsync]}`,
    async create() {
      const place = await createRedisPlace('mr', fsync);
      await install(() => this.open(place));
      return place;
    },
    open: (place: Place) => openOn(redis({ url: redisUrlOf(place), prefix: place.prefix })),
    destroy: (place: Place) => destroyRedisPlace(place, `{${place.prefix}*`),
  };
}

/** Every write fsynced before Redis answers, as the \`bullmq\` system runs. */
export const millraceRedis = millraceRedisWith('millrace-redis', 'always');
/** Fsynced once a second, as the \`bullmq-everysec\` system runs. */
export const millraceRedisEverysec = millraceRedisWith('millrace-redis-everysec', 'everysec');
