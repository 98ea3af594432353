/**
 * BullMQ 6.7.0 (pinned in package.json) on the shared Redis: a job is a
 * BullMQ job named `job` on the queue `bench`, carrying `{ n, sentAt }`.
 * A place is an empty Redis logical database (1..15) claimed for the run,
 * plus a random key prefix; BullMQ opens and closes all its own ioredis
 * connections from the options given (one for the Queue, two for each
 * Worker: a normal and a blocking one), so nothing is left open on close.
 *
 * In 6.x `ioredis` is an optional peer dependency (the Redis driver is
 * pluggable: ioredis, node-redis, Valkey GLIDE, Bun, even a PostgreSQL
 * backend); this repository installs ioredis itself, and BullMQ loads it
 * lazily when given plain connection options, as here.
 */
import { Queue, Worker, type WorkerOptions } from 'bullmq';
import type { Job, JobHandler, PeerSystem, Place, SystemKind } from '../system.js';
import {
  createRedisPlace,
  destroyRedisPlace,
  DURABILITY,
  REDIS_URL,
  redisOptions,
  type AppendFsync,
} from './redis-place.js';

const QUEUE = 'bench';
const JOB_NAME = 'job';

type Data = { n: number; sentAt?: number };

function logErrors(what: string) {
  // https://docs.bullmq.io/guide/going-to-production ("Log errors"): attach an
  // error listener, else an unhandled 'error' event would crash the process.
  return (error: Error) => process.stderr.write(`bullmq ${what} error: ${error.message}\n`);
}

async function open(place: Place): Promise<PeerSystem> {
  const url = place.url ?? REDIS_URL;
  const prefix = place.prefix as string;
  const connection = redisOptions(url, Number(place.db));
  // The Queue (producer) connection keeps ioredis' defaults (a finite
  // maxRetriesPerRequest), which going-to-production leaves to producers so that
  // their calls fail rather than hang; its `enableOfflineQueue: false` advice is
  // for HTTP endpoints that must fail fast while Redis is down, and is left off.
  const queue = new Queue<Data>(QUEUE, { connection, prefix });
  queue.on('error', logErrors('queue'));
  await queue.waitUntilReady();
  const workers = new Set<Worker<Data>>();

  return {
    async enqueueBulk(jobs: readonly Job[]) {
      // One addBulk call. In 6.7 it sends one add-job script per job in one
      // ioredis pipeline (one round trip), no longer in a MULTI as 5.x did, so
      // a batch is not atomic (RedisQueueBackend.addJobs).
      await queue.addBulk(
        jobs.map((job) => ({ name: JOB_NAME, data: { n: job.n, sentAt: job.sentAt } })),
      );
    },
    async enqueue(job: Job) {
      await queue.add(JOB_NAME, { n: job.n, sentAt: job.sentAt });
    },
    async work(concurrency: number, handler: JobHandler) {
      const options: WorkerOptions = {
        connection: {
          ...connection,
          // https://docs.bullmq.io/guide/going-to-production ("Automatic
          // reconnections"): workers must use maxRetriesPerRequest: null so
          // commands wait for a reconnection instead of failing. BullMQ forces
          // it on the worker's blocking connection; this sets it on the
          // worker's normal connection too.
          maxRetriesPerRequest: null,
        },
        prefix,
        // https://docs.bullmq.io/guide/workers/concurrency ("Local Concurrency
        // factor"): how many jobs one worker runs at once (default 1).
        concurrency,
        // https://docs.bullmq.io/guide/workers/auto-removal-of-jobs ("Remove all
        // finalized jobs"): delete a job as soon as it completes instead of
        // keeping it forever in the completed set (the default).
        removeOnComplete: { count: 0 },
        // Same page ("Keep a certain number of jobs"): keep a bounded number of
        // failed jobs for inspection (default: keep all).
        removeOnFail: { count: 5000 },
      };
      const worker = new Worker<Data>(
        QUEUE,
        async (job) => {
          await handler({ n: job.data.n, sentAt: job.data.sentAt });
        },
        options,
      );
      worker.on('error', logErrors('worker'));
      workers.add(worker);
      await worker.waitUntilReady();
      return async () => {
        // https://docs.bullmq.io/guide/workers/graceful-shutdown: close() stops
        // fetching, waits for the running jobs, then closes its connections.
        await worker.close();
        workers.delete(worker);
      };
    },
    async close() {
      await Promise.all([...workers].map((worker) => worker.close()));
      workers.clear();
      await queue.close();
    },
  };
}

function bullmqWith(name: string, fsync: AppendFsync): SystemKind {
  return {
    name,
    embedded: false,
    configuration:
      'BullMQ 6.7.0 (pinned) with ioredis 6 on the shared Redis, a claimed empty logical database and a random key prefix per run, one queue; ' +
      'jobs are added with `addBulk` (one call per batch) or `add`, with default job options (1 attempt, no backoff, no retries). ' +
      'Away from the defaults: Worker `concurrency` as each scenario sets (https://docs.bullmq.io/guide/workers/concurrency); ' +
      'Worker `removeOnComplete: { count: 0 }` and `removeOnFail: { count: 5000 }` (https://docs.bullmq.io/guide/workers/auto-removal-of-jobs: remove finalized jobs rather than keep them all, keep a bounded number of failed ones); ' +
      "the workers' ioredis connections with `maxRetriesPerRequest: null` (https://docs.bullmq.io/guide/going-to-production, Automatic reconnections); " +
      "error listeners on Queue and Worker (same page, Log errors). The Queue's connection keeps ioredis' defaults (that page's fail-fast `enableOfflineQueue: false` for HTTP producers is left off). " +
      DURABILITY[fsync],
    create: () => createRedisPlace('bull', fsync),
    open,
    destroy: (place: Place) => destroyRedisPlace(place, `${place.prefix}:*`),
  };
}

/** BullMQ with every write fsynced, as durable as the PostgreSQL systems: the one the targets compare with. */
export const bullmq = bullmqWith('bullmq', 'always');
/** BullMQ as its production guide sets Redis up: fsync once a second. */
export const bullmqEverysec = bullmqWith('bullmq-everysec', 'everysec');
