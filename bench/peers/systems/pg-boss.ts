/**
 * pg-boss 10.4.2 as a peer: one fresh schema per run, one queue `bench`,
 * bulk enqueue with `insert()`, single enqueue with `send()`, and polling
 * workers registered with `work()`.
 *
 * Pinned to 10.4.2 because pg-boss 11 and later need Node >= 22 and this
 * project runs on Node 20; 10.x is the newest line that supports Node 20.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import PgBoss from 'pg-boss';
import { DATABASE_URL } from '../../backends.js';
import { createSchemaPlace, destroySchemaPlace, schemaOf } from './schema-place.js';
import type { Job, JobHandler, PeerSystem, Place, SystemKind } from '../system.js';

const QUEUE = 'bench';

/**
 * `work({ pollingIntervalSeconds })`: the smallest interval pg-boss 10 accepts
 * ("must be >=0.5 (500ms)", docs/api/workers.md, `work()` options; the
 * default is 2). v10 has no LISTEN/NOTIFY, so this bounds pickup latency.
 */
const POLLING_INTERVAL_SECONDS = 0.5;

/**
 * `work({ batchSize })` (default 1): jobs fetched per poll. pg-boss 10 removed
 * teamSize/teamConcurrency and leaves concurrency to the handler and to more
 * `work()` calls (docs/api/workers.md; the maintainer in timgit/pg-boss#483
 * and #542), so batchSize is its only throughput lever, and the docs name no
 * value. Measured here with 32 workers draining a backlog of 10,000 no-op
 * jobs: 50 (the size pg-boss uses for its own internal worker,
 * src/timekeeper.js) 3,200 jobs/s, 100 6,400/s, 250 ~16,000/s, 1,000
 * ~18,000/s (a few workers then take the whole backlog and the rest idle);
 * of 100,000 jobs: 50 1,800/s, 250 4,200/s, 1,000 1,900/s. 250 is the best
 * at the benchmark's size. Each
 * of the `concurrency` workers handles its batch one job at a time, so at
 * most `concurrency` handlers run at once and the rest of a batch is
 * prefetch, like graphile-worker's local queue. Under a backlog of fast jobs
 * throughput is capped near concurrency * BATCH_SIZE / 0.5 s.
 */
const BATCH_SIZE = 250;

/** pg-boss emits Errors, and from workers plain objects with `message` and `stack`. */
function describe(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const { stack, message } = error as { stack?: unknown; message?: unknown };
    if (typeof stack === 'string') return stack;
    if (typeof message === 'string') return message;
  }
  return String(error);
}

/** A pg-boss instance on `schema` that reports errors on stderr and nothing else. */
function boss(schema: string): PgBoss {
  const instance = new PgBoss({
    connectionString: DATABASE_URL,
    // Default is `pgboss`; each run gets a fresh schema of its own.
    schema,
  });
  // pg-boss emits `error` (worker, maintenance and pool errors); without a
  // listener Node would throw them (docs/api/events.md, `error`).
  instance.on('error', (error) => process.stderr.write(`pg-boss: ${describe(error)}\n`));
  return instance;
}

const payload = (job: Job): { n: number; sentAt?: number } =>
  job.sentAt === undefined ? { n: job.n } : { n: job.n, sentAt: job.sentAt };

export const pgBoss: SystemKind = {
  name: 'pg-boss',
  embedded: false,
  configuration:
    'pg-boss 10.4.2, pinned because pg-boss 11 and later need Node >= 22 and this project runs on Node 20. ' +
    'Docs: the 10.x docs in the repository (https://github.com/timgit/pg-boss/tree/10.4.2/docs, published at https://timgit.github.io/pg-boss/). ' +
    'Options set away from their defaults: `schema` = a fresh `peer_pgboss_<hex>` per run (default `pgboss`; docs/api/constructor.md); ' +
    "the queue `bench` made once with `createQueue('bench')` (standard policy), which v10 requires before send and work (docs/api/queues.md); " +
    'bulk enqueue is one `insert(jobs)` call and single enqueue one `send()` (docs/api/jobs.md); ' +
    'workers: `concurrency` separate `work()` registrations on a PgBoss instance of their own, because v10 removed teamSize/teamConcurrency and ' +
    '"each call to work() will add a new worker" (docs/api/workers.md; the maintainer recommends more work() calls and a larger batchSize in ' +
    'https://github.com/timgit/pg-boss/issues/483 and /542), their first polls staggered evenly over one polling interval; ' +
    `each with \`batchSize: ${BATCH_SIZE}\` (default 1; the docs name no value: draining 100,000 jobs here, 50 gave 1,800 jobs/s, 250 4,200/s, 1,000 1,900/s) handled one job at a time, ` +
    'so at most `concurrency` handlers run at once, and `pollingIntervalSeconds: 0.5` (default 2), the minimum v10 accepts ' +
    '("must be >=0.5 (500ms)", docs/api/workers.md), as v10 has no LISTEN/NOTIFY; ' +
    'an `error` listener writing to stderr, as docs/api/events.md strongly encourages. ' +
    'Everything else is default: pool max 10, retries, expiration, archiving of completed jobs after 12 hours, maintenance, cron, and graceful `stop()` (docs/api/ops.md). ' +
    `Under a backlog of fast jobs, pg-boss 10 polling caps throughput near concurrency x ${BATCH_SIZE} / 0.5 s.`,

  create: () =>
    createSchemaPlace('peer_pgboss', async (schema) => {
      // start() installs the schema (migrate: true by default); v10 queues
      // must exist before send()/work(), hence createQueue.
      const installer = boss(schema);
      await installer.start();
      await installer.createQueue(QUEUE);
      await installer.stop();
    }),

  destroy: destroySchemaPlace,

  async open(place: Place): Promise<PeerSystem> {
    const schema = schemaOf(place);
    const producer = boss(schema);
    await producer.start();
    const consumers = new Set<PgBoss>();

    const stopConsumer = async (consumer: PgBoss): Promise<void> => {
      if (!consumers.delete(consumer)) return;
      // Defaults graceful and wait: offWork, wait for active jobs, close the pool.
      await consumer.stop();
    };

    return {
      async enqueueBulk(jobs: readonly Job[]): Promise<void> {
        await producer.insert(jobs.map((job) => ({ name: QUEUE, data: payload(job) })));
      },

      async enqueue(job: Job): Promise<void> {
        await producer.send(QUEUE, payload(job));
      },

      async work(concurrency: number, handler: JobHandler): Promise<() => Promise<void>> {
        // Workers get a PgBoss instance of their own, so that its graceful
        // stop() (docs/api/ops.md) can wait for exactly these workers' jobs.
        const consumer = boss(schema);
        await consumer.start();
        consumers.add(consumer);
        const options = {
          // Default 1; the fetch size per poll (docs/api/workers.md, see BATCH_SIZE).
          batchSize: BATCH_SIZE,
          // Default 2; 0.5 is the minimum v10 accepts (docs/api/workers.md).
          pollingIntervalSeconds: POLLING_INTERVAL_SECONDS,
        };
        const onJobs = async (jobs: PgBoss.Job<Job>[]): Promise<void> => {
          // One at a time: the batch is prefetch, the worker is the unit of concurrency.
          for (const job of jobs) await handler({ n: job.data.n, sentAt: job.data.sentAt });
        };
        // `concurrency` work() registrations: v10 has no teamSize/localConcurrency;
        // "each call to work() will add a new worker" (docs/api/workers.md,
        // timgit/pg-boss#483). Their first polls are staggered over one
        // interval, so that idle workers do not all poll in the same instant.
        const stagger = (POLLING_INTERVAL_SECONDS * 1000) / concurrency;
        try {
          for (let i = 0; i < concurrency; i++) {
            if (i > 0) await sleep(stagger);
            await consumer.work<Job>(QUEUE, options, onJobs);
          }
        } catch (error) {
          await stopConsumer(consumer);
          throw error;
        }
        return () => stopConsumer(consumer);
      },

      async close(): Promise<void> {
        await Promise.all([...consumers].map(stopConsumer));
        await producer.stop();
      },
    };
  },
};
