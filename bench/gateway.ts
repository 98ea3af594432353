/**
 * The gateway benchmark on the real PostgreSQL: four worker processes drain
 * the same events over HTTP (keep-alive, fetches of 100 and of 500), beside
 * an in-process library member in the same run; then the latency from
 * publish to a long-polling worker at 500 events/s. Prints markdown tables.
 *
 *   npm run bench:gateway -- [--events 100000] [--workers 4] [--seconds 10]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { Millrace } from '../src/index.js';
import { createServer } from '../src/server/server.js';
import { DATABASE_URL, openBench } from './backends.js';
import { describeMachine } from './machine.js';
import { drain, publishBatches } from './scenarios.js';
import { formatMs, formatRate, percentile, perSecond, progress, table } from './stats.js';

process.env.MILLRACE_LOG_LEVEL ??= 'error';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    workers: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '10' },
  },
});
const events = Number(values.events);
const workerCount = Number(values.workers);
const seconds = Number(values.seconds);
const WORKER = join(import.meta.dirname, 'gateway-worker.ts');

interface WorkerMessage {
  readonly ready?: boolean;
  readonly started?: boolean;
  readonly handled?: number;
  readonly latencies?: readonly number[];
}

/** Resolves once every worker sent a message for which `is` holds. */
function allSay(
  workers: readonly ChildProcess[],
  is: (message: WorkerMessage) => boolean,
): Promise<void> {
  return Promise.all(
    workers.map(
      (worker) =>
        new Promise<void>((resolve, reject) => {
          worker.on('message', (message: WorkerMessage) => {
            if (is(message)) resolve();
          });
          worker.once('exit', (code) => reject(new Error(`a worker exited with ${code}`)));
        }),
    ),
  ).then(() => undefined);
}

/**
 * Starts the worker processes and, once they are up, their members (only
 * that is timed: a worker is a long-lived process); calls `onMessage` with
 * each report; resolves with the time of the go once all members started.
 */
async function startWorkers(
  url: string,
  consumer: string,
  fetchSize: number,
  count: number,
  onMessage: (message: WorkerMessage) => void,
  waitForPartitions?: number,
): Promise<{ workers: ChildProcess[]; goAt: number }> {
  const args = [url, consumer, String(fetchSize)];
  if (waitForPartitions !== undefined) args.push(String(waitForPartitions));
  const workers = Array.from({ length: count }, () =>
    fork(WORKER, args, { execArgv: ['--import', 'tsx'] }),
  );
  await allSay(workers, (message) => message.ready === true);
  for (const worker of workers) worker.on('message', onMessage);
  const goAt = performance.now();
  for (const worker of workers) worker.send('go');
  await allSay(workers, (message) => message.started === true);
  return { workers, goAt };
}

async function stopWorkers(workers: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    workers.map(
      (worker) =>
        new Promise<void>((resolve) => {
          worker.removeAllListeners('exit');
          worker.once('exit', () => resolve());
          worker.send('stop');
        }),
    ),
  );
}

/** Four workers over HTTP drain `count` events from the beginning. Returns events/s. */
async function httpDrain(url: string, count: number, fetchSize: number): Promise<number> {
  let handled = 0;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const { workers, goAt } = await startWorkers(
    url,
    `http-drain-${fetchSize}`,
    fetchSize,
    workerCount,
    (m) => {
      handled += m.handled ?? 0;
      if (handled >= count) finish();
    },
  );
  await done;
  const rate = perSecond(count, performance.now() - goAt);
  await stopWorkers(workers);
  return rate;
}

/** Publishes at `rate` events/s for `seconds` to a long-polling worker; the latencies it saw. */
async function httpLatency(millrace: Millrace, url: string): Promise<number[]> {
  const latencies: number[] = [];
  const consumer = 'http-latency';
  const { workers } = await startWorkers(
    url,
    consumer,
    100,
    1,
    (m) => void latencies.push(...(m.latencies ?? [])),
    8,
  );
  const rate = 500;
  const total = rate * seconds;
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    await millrace.publish({
      stream: `order-l${i % 100}`,
      subject: 'order.created',
      data: { t: Date.now() },
    });
  }
  while (latencies.length < total) await new Promise((resolve) => setTimeout(resolve, 50));
  await stopWorkers(workers);
  return latencies.sort((a, b) => a - b);
}

const bench = await openBench('postgres');
const { millrace } = bench;
const app = createServer({ millrace, logger: pino({ level: 'silent' }), rateLimit: false });
await app.listen({ port: 0, host: '127.0.0.1' });
const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
try {
  progress(`publishing ${events} events`);
  await publishBatches(millrace, events, 1000, 4);
  progress('in-process member');
  const inProcess = await drain(millrace, events, { name: 'in-process', partitions: 8 });
  progress('over HTTP, fetches of 100');
  const http100 = await httpDrain(url, events, 100);
  progress('over HTTP, fetches of 500');
  const http500 = await httpDrain(url, events, 500);
  progress(`latency at 500 events/s for ${seconds} s`);
  const latencies = await httpLatency(millrace, url);

  console.log(`\n${await describeMachine(DATABASE_URL)}\n`);
  console.log(
    table(
      ['drain of ' + events.toLocaleString('en-US') + ' events', 'events/s', 'of in-process'],
      [
        ['in-process library member (one process)', formatRate(inProcess), '100 %'],
        [
          `${workerCount} workers over HTTP, fetches of 100`,
          formatRate(http100),
          `${Math.round((100 * http100) / inProcess)} %`,
        ],
        [
          `${workerCount} workers over HTTP, fetches of 500`,
          formatRate(http500),
          `${Math.round((100 * http500) / inProcess)} %`,
        ],
      ],
    ),
  );
  console.log(
    `\n${table(
      ['publish to a long-polling worker over HTTP, 500/s', 'p50', 'p99', 'max'],
      [
        [
          'latency',
          formatMs(percentile(latencies, 50)),
          formatMs(percentile(latencies, 99)),
          formatMs(latencies.at(-1) ?? 0),
        ],
      ],
    )}`,
  );
} finally {
  await app.close();
  await bench.dispose();
}
