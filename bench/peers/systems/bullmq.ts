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
import { randomBytes } from 'node:crypto';
import { Queue, Worker, type WorkerOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { Job, JobHandler, PeerSystem, Place, SystemKind } from '../system.js';

export const REDIS_URL = process.env.MILLRACE_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

const QUEUE = 'bench';
const JOB_NAME = 'job';
/** A key set in a claimed database so that concurrent benchmark runs never pick the same one. */
const CLAIM_KEY = 'millrace-bench:claim';

type Data = { n: number; sentAt?: number };

/** Host, port, credentials and database of a Redis URL, as ioredis/BullMQ connection options. */
function redisOptions(url: string, db: number) {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    db,
  };
}

/**
 * Claims an empty logical database (1..15) on the Redis at `url`: one whose
 * DBSIZE is 0, where this call wins a SET NX of a claim key, then flushed
 * and re-marked to be sure. Release it with {@link releaseRedisDb}.
 */
export async function claimRedisDb(url: string, owner: string): Promise<number> {
  for (let db = 1; db <= 15; db++) {
    const redis = new Redis({ ...redisOptions(url, db), lazyConnect: true });
    try {
      await redis.connect();
      if ((await redis.dbsize()) !== 0) continue;
      if ((await redis.set(CLAIM_KEY, owner, 'NX')) !== 'OK') continue;
      // Ours now: no other claimant can win the SET NX above. Flush to be sure, keep the claim.
      await redis.multi().flushdb().set(CLAIM_KEY, owner).exec();
      return db;
    } finally {
      redis.disconnect();
    }
  }
  throw new Error(`no empty Redis database among 1..15 at ${url}`);
}

/** Deletes the keys under `prefix` (if given) and the claim key of a database claimed with {@link claimRedisDb}. */
export async function releaseRedisDb(url: string, db: number, prefix?: string): Promise<void> {
  const redis = new Redis({ ...redisOptions(url, db), lazyConnect: true });
  try {
    await redis.connect();
    if (prefix !== undefined) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 10_000);
        if (keys.length > 0) await redis.unlink(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
    await redis.del(CLAIM_KEY);
  } finally {
    redis.disconnect();
  }
}

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

/** How Redis keeps what BullMQ writes: its append-only file, fsynced on every write or once a second. */
export type AppendFsync = 'always' | 'everysec';

const DURABILITY: Record<AppendFsync, string> = {
  always:
    "For the run Redis writes an append-only file fsynced before every reply (`CONFIG SET appendonly yes`, `appendfsync always`), the durability of the PostgreSQL systems (fsync and synchronous_commit on); the machine's Redis otherwise keeps nothing (appendonly no, no RDB snapshots), and is restored afterwards.",
  everysec:
    'For the run Redis writes an append-only file fsynced once a second (`CONFIG SET appendonly yes`, `appendfsync everysec`), what https://docs.bullmq.io/guide/going-to-production recommends (Persistence): a crash may lose the last second of acknowledged jobs; restored afterwards.',
};

/**
 * Turns on Redis's append-only file with the given fsync policy, waits until
 * the rewrite that starts it is done, and returns the settings to restore.
 */
async function persist(url: string, fsync: AppendFsync): Promise<string> {
  const redis = new Redis(url, { lazyConnect: true });
  try {
    await redis.connect();
    const before = {
      appendonly: (await redis.config('GET', 'appendonly'))[1] as string,
      appendfsync: (await redis.config('GET', 'appendfsync'))[1] as string,
    };
    await redis.config('SET', 'appendonly', 'yes', 'appendfsync', fsync);
    for (;;) {
      const info = await redis.info('persistence');
      if (
        /aof_enabled:1/.test(info) &&
        /aof_rewrite_in_progress:0/.test(info) &&
        /aof_rewrite_scheduled:0/.test(info)
      ) {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return JSON.stringify(before);
  } finally {
    redis.disconnect();
  }
}

async function restore(url: string, saved: string): Promise<void> {
  const before = JSON.parse(saved) as { appendonly: string; appendfsync: string };
  const redis = new Redis(url, { lazyConnect: true });
  try {
    await redis.connect();
    await redis.config('SET', 'appendonly', before.appendonly, 'appendfsync', before.appendfsync);
  } finally {
    redis.disconnect();
  }
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
    async create() {
      const prefix = `bull_${randomBytes(4).toString('hex')}`;
      const restoreTo = await persist(REDIS_URL, fsync);
      const db = await claimRedisDb(REDIS_URL, prefix);
      return { url: REDIS_URL, db: String(db), prefix, restoreTo };
    },
    open,
    async destroy(place: Place) {
      const url = place.url ?? REDIS_URL;
      await releaseRedisDb(url, Number(place.db), place.prefix);
      if (place.restoreTo !== undefined) await restore(url, place.restoreTo);
    },
  };
}

/** BullMQ with every write fsynced, as durable as the PostgreSQL systems: the one the targets compare with. */
export const bullmq = bullmqWith('bullmq', 'always');
/** BullMQ as its production guide sets Redis up: fsync once a second. */
export const bullmqEverysec = bullmqWith('bullmq-everysec', 'everysec');
