/**
 * graphile-worker 0.17.3 as a peer: one fresh schema per run, one task
 * `bench`, bulk enqueue with `addJobs()`, single enqueue with `addJob()`
 * (both through WorkerUtils), and a runner from `run()` woken by
 * LISTEN/NOTIFY.
 *
 * Pinned to 0.17.3 because graphile-worker 0.18 needs Node >= 22.18 and this
 * project runs on Node 20.
 */
import { EventEmitter } from 'node:events';
import pg from 'pg';
import { Logger, makeWorkerUtils, run } from 'graphile-worker';
import type { AddJobsJobSpec, Runner, WorkerEvents, WorkerUtils } from 'graphile-worker';
import { DATABASE_URL } from '../../backends.js';
import { createSchemaPlace, destroySchemaPlace, schemaOf } from './schema-place.js';
import type { Job, JobHandler, PeerSystem, Place, SystemKind } from '../system.js';

const TASK = 'bench';

/**
 * `completeJobBatchDelay` / `failJobBatchDelay` (default -1, off): release
 * finished jobs in batches. The performance page's batching starting point
 * is 25 ms ("we'd advise all users to enable these settings",
 * https://worker.graphile.org/docs/performance#batching).
 */
const JOB_BATCH_DELAY_MS = 25;

/**
 * `logger` (default: console, info and up): keeps warnings and errors on
 * stderr, drops info and debug (https://worker.graphile.org/docs/library/logger).
 */
const logger = new Logger(() => (level, message) => {
  const severity: string = level;
  if (severity === 'error' || severity === 'warning') {
    process.stderr.write(`graphile-worker ${severity}: ${message}\n`);
  }
});

function reportPoolError(error: Error): void {
  process.stderr.write(`graphile-worker pool: ${error.message}\n`);
}

/** WorkerUtils on `schema` (default schema is `graphile_worker`). */
const utilsFor = (schema: string): Promise<WorkerUtils> =>
  makeWorkerUtils({ connectionString: DATABASE_URL, schema, logger });

const payload = (job: Job): { n: number; sentAt?: number } =>
  job.sentAt === undefined ? { n: job.n } : { n: job.n, sentAt: job.sentAt };

export const graphileWorker: SystemKind = {
  name: 'graphile-worker',
  embedded: false,
  configuration:
    'graphile-worker 0.17.3, pinned because graphile-worker 0.18 needs Node >= 22.18 and this project runs on Node 20. ' +
    'Options set away from their defaults: `schema` = a fresh `peer_gw_<hex>` per run (default `graphile_worker`), installed with ' +
    '`makeWorkerUtils(...).migrate()` (https://worker.graphile.org/docs/library/queue); ' +
    'bulk enqueue is one `addJobs()` call and single enqueue one `addJob()`, both on one shared WorkerUtils as that page recommends ' +
    '(https://worker.graphile.org/docs/library/add-jobs, https://worker.graphile.org/docs/library/add-job); ' +
    'workers: one `run()` runner with a `taskList` holding the `bench` task and `concurrency` = the requested concurrency (concurrentJobs, default 1; ' +
    'https://worker.graphile.org/docs/library/run); a pool of max(10, concurrency + 2) connections (maxPoolSize, default 10: ' +
    '"we recommend setting it to 10 or concurrentJobs + 2, whichever is larger", https://worker.graphile.org/docs/config), passed as `pgPool` with error handlers ' +
    'so that stopping always ends it (0.17.3 fails to release a runner stopped while its local queue holds jobs); ' +
    'the batching starting point of https://worker.graphile.org/docs/performance#batching for high-throughput queues: ' +
    '`localQueue: { size: concurrency + 1 }` (default -1, off), `completeJobBatchDelay: 25` and `failJobBatchDelay: 25` (default -1, off); ' +
    '`noHandleSignals: true` (https://worker.graphile.org/docs/library/run), `parsedCronItems: []` (no crontab, no crontab file lookup), ' +
    'a `logger` that drops debug and info (https://worker.graphile.org/docs/library/logger), and an `events` emitter so that work() resolves once the pool LISTENs ' +
    '(https://worker.graphile.org/docs/worker-events). New jobs reach workers by LISTEN/NOTIFY, so `pollInterval` keeps its default 2000 ms ' +
    '(it is for future-dated jobs and retries, https://worker.graphile.org/docs/cli/run); job spec defaults (25 attempts, no queue name) are kept.',

  create: () =>
    createSchemaPlace('peer_gw', async (schema) => {
      const utils = await utilsFor(schema);
      try {
        await utils.migrate();
      } finally {
        await utils.release();
      }
    }),

  destroy: destroySchemaPlace,

  async open(place: Place): Promise<PeerSystem> {
    const schema = schemaOf(place);
    const utils = await utilsFor(schema);
    /** Running runners and their pools. */
    const runners = new Map<Runner, pg.Pool>();

    const stopRunner = async (runner: Runner): Promise<void> => {
      const pool = runners.get(runner);
      if (!pool) return;
      runners.delete(runner);
      try {
        // Graceful: stops taking jobs, waits for running ones, returns the
        // local queue's jobs and flushes the completion batch.
        await runner.stop();
      } finally {
        await pool.end();
      }
    };

    return {
      async enqueueBulk(jobs: readonly Job[]): Promise<void> {
        const specs: AddJobsJobSpec[] = jobs.map((job) => ({
          identifier: TASK,
          payload: payload(job),
        }));
        await utils.addJobs(specs);
      },

      async enqueue(job: Job): Promise<void> {
        await utils.addJob(TASK, payload(job));
      },

      async work(concurrency: number, handler: JobHandler): Promise<() => Promise<void>> {
        const events: WorkerEvents = new EventEmitter();
        const listening = new Promise<void>((resolve) => {
          events.once('pool:listen:success', () => resolve());
        });
        // The runner's pool, made here (`pgPool`, https://worker.graphile.org/docs/library/run)
        // so that stopping can always end it: in 0.17.3 a graceful stop while
        // the local queue still holds jobs fails ("Cannot background something
        // when the queue is already released") before the runner ends its own
        // pool, whose idle connections then hold the process for 10 s.
        const pool = new pg.Pool({
          connectionString: DATABASE_URL,
          // maxPoolSize: "10 or concurrentJobs + 2, whichever is larger"
          // (https://worker.graphile.org/docs/config, worker.maxPoolSize; default 10).
          max: Math.max(10, concurrency + 2),
        });
        // Error handlers on a pool of our own, as docs/library/queue asks.
        pool.on('error', reportPoolError);
        pool.on('connect', (client) => void client.on('error', reportPoolError));
        let runner: Runner;
        try {
          runner = await run({
            pgPool: pool,
            schema,
            // concurrentJobs (default 1).
            concurrency,
            // No SIGINT/SIGTERM handlers: the benchmark decides when to stop.
            noHandleSignals: true,
            logger,
            events,
            // No crontab: skip looking for a `crontab` file in the working directory.
            parsedCronItems: [],
            taskList: {
              [TASK]: async (raw) => {
                const job = raw as Job;
                await handler({ n: job.n, sentAt: job.sentAt });
              },
            },
            preset: {
              worker: {
                // "Sensible default for local queue size: one more than concurrency" (docs/performance#batching).
                localQueue: { size: concurrency + 1 },
                // Batch job releases; 25 ms is the docs' batching starting point (docs/performance#batching).
                completeJobBatchDelay: JOB_BATCH_DELAY_MS,
                failJobBatchDelay: JOB_BATCH_DELAY_MS,
              },
            },
          });
        } catch (error) {
          await pool.end();
          throw error;
        }
        runners.set(runner, pool);
        // Resolve once the pool LISTENs for new jobs, so no NOTIFY is missed.
        const exited = runner.promise.then(() => {
          throw new Error('graphile-worker runner exited before it was listening');
        });
        // Once listening, a later exit is stop()'s business.
        exited.catch(() => undefined);
        try {
          await Promise.race([listening, exited]);
        } catch (error) {
          await stopRunner(runner).catch(() => undefined);
          throw error;
        }
        return () => stopRunner(runner);
      },

      async close(): Promise<void> {
        await Promise.all([...runners.keys()].map(stopRunner));
        await utils.release();
      },
    };
  },
};
