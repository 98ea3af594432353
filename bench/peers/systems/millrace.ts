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
import type { ProviderFactory } from '../../../src/index.js';
import { deleteKafkaNamespace, kafkaBrokers } from '../../../test/support/kafka.js';
import { DATABASE_URL } from '../../backends.js';
import { createSchemaPlace, destroySchemaPlace, schemaOf } from './schema-place.js';
import type { Job, JobHandler, PeerSystem, Place, SystemKind } from '../system.js';

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
