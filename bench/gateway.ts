/**
 * The gateway benchmark on the real PostgreSQL: four worker processes drain
 * 100,000 events over HTTP (keep-alive, fetches of 100 and of 500), beside
 * an in-process library member in the same run; then the latency from
 * publish to a long-polling worker at 500 events/s. Prints markdown tables.
 *
 * Each way drains a backlog published just before it (PostgreSQL's first
 * read of new rows costs more than the next ones), then the same backlog
 * again with a new consumer: both columns compare like with like. The CPU
 * each process spent per event shows where the time goes, the server's and
 * the workers' (PostgreSQL's is left out).
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
const WARM_UP_EVENTS = 20_000;

interface WorkerMessage {
  readonly ready?: boolean;
  readonly started?: boolean;
  readonly handled?: number;
  readonly latencies?: readonly number[];
  /** CPU time the worker spent from the go to its stop. */
  readonly cpuMs?: number;
}

/** A drain: events/s, and the CPU µs per event of the server's process and of the workers. */
interface DrainRun {
  readonly rate: number;
  readonly serverUs: number;
  readonly workersUs: number;
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
  category: string,
  fetchSize: number,
  count: number,
  onMessage: (message: WorkerMessage) => void,
  waitForPartitions?: number,
): Promise<{ workers: ChildProcess[]; goAt: number; cpuAtGo: NodeJS.CpuUsage }> {
  const args = [url, consumer, category, String(fetchSize)];
  if (waitForPartitions !== undefined) args.push(String(waitForPartitions));
  const workers = Array.from({ length: count }, () =>
    fork(WORKER, args, { execArgv: ['--import', 'tsx'] }),
  );
  await allSay(workers, (message) => message.ready === true);
  for (const worker of workers) worker.on('message', onMessage);
  const goAt = performance.now();
  const cpuAtGo = process.cpuUsage();
  for (const worker of workers) worker.send('go');
  await allSay(workers, (message) => message.started === true);
  return { workers, goAt, cpuAtGo };
}

/** Stops the workers; resolves with the CPU ms they spent, together. */
async function stopWorkers(workers: readonly ChildProcess[]): Promise<number> {
  let cpuMs = 0;
  await Promise.all(
    workers.map(
      (worker) =>
        new Promise<void>((resolve) => {
          worker.removeAllListeners('exit');
          worker.on('message', (message: WorkerMessage) => (cpuMs += message.cpuMs ?? 0));
          worker.once('exit', () => resolve());
          worker.send('stop');
        }),
    ),
  );
  return cpuMs;
}

const cpuMsOf = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;

/** The in-process library member drains `count` events of `category`. */
async function inProcessDrain(
  millrace: Millrace,
  category: string,
  name: string,
  count: number,
): Promise<DrainRun> {
  const cpu = process.cpuUsage();
  const rate = await drain(millrace, count, { name, category, partitions: 8 });
  return { rate, serverUs: (1000 * cpuMsOf(process.cpuUsage(cpu))) / count, workersUs: 0 };
}

/** Four workers over HTTP drain `count` events of `category` from the beginning. */
async function httpDrain(
  url: string,
  category: string,
  name: string,
  fetchSize: number,
  count: number,
): Promise<DrainRun> {
  let handled = 0;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const { workers, goAt, cpuAtGo } = await startWorkers(
    url,
    name,
    category,
    fetchSize,
    workerCount,
    (m) => {
      handled += m.handled ?? 0;
      if (handled >= count) finish();
    },
  );
  await done;
  const rate = perSecond(count, performance.now() - goAt);
  const serverMs = cpuMsOf(process.cpuUsage(cpuAtGo));
  const workersMs = await stopWorkers(workers);
  return { rate, serverUs: (1000 * serverMs) / count, workersUs: (1000 * workersMs) / count };
}

/** Publishes at `rate` events/s for `seconds` to a long-polling worker; the latencies it saw. */
async function httpLatency(millrace: Millrace, url: string): Promise<number[]> {
  const latencies: number[] = [];
  const consumer = 'http-latency';
  const { workers } = await startWorkers(
    url,
    consumer,
    'order',
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

interface Way {
  readonly label: string;
  run(category: string, name: string, count?: number): Promise<DrainRun>;
}

const WAYS: Way[] = [
  {
    label: 'in-process library member (one process)',
    run: (category, name, count = events) => inProcessDrain(millrace, category, name, count),
  },
  ...[100, 500].map((size) => ({
    label: `${workerCount} workers over HTTP, fetches of ${size}`,
    run: (category: string, name: string, count = events) =>
      httpDrain(url, category, name, size, count),
  })),
];

try {
  // Untimed: every way runs once first, so none is timed while its code is still being compiled.
  progress('warming up');
  await publishBatches(millrace, WARM_UP_EVENTS, 1000, 4, 'warmup');
  for (const [index, way] of WAYS.entries())
    await way.run('warmup', `warmup-${index}`, WARM_UP_EVENTS);
  const results: { fresh: DrainRun; again: DrainRun }[] = [];
  for (const [index, way] of WAYS.entries()) {
    const category = `drain${index}`;
    progress(`${way.label}: publishing ${events} events`);
    await publishBatches(millrace, events, 1000, 4, category);
    progress(`${way.label}: the new backlog, then again`);
    const fresh = await way.run(category, `${category}-fresh`);
    const again = await way.run(category, `${category}-again`);
    results.push({ fresh, again });
  }
  progress(`latency at 500 events/s for ${seconds} s`);
  const latencies = await httpLatency(millrace, url);

  const [base] = results as [{ fresh: DrainRun; again: DrainRun }];
  const share = (run: DrainRun, of: DrainRun) => `${Math.round((100 * run.rate) / of.rate)} %`;
  const us = (value: number) => (value === 0 ? '' : value.toFixed(1));
  console.log(`\n${await describeMachine(DATABASE_URL)}\n`);
  console.log(
    table(
      [
        `drain of ${events.toLocaleString('en-US')} events`,
        'new backlog, events/s',
        'of in-process',
        'read again, events/s',
        'of in-process',
        'CPU µs/event: server',
        'workers',
      ],
      WAYS.map((way, index) => {
        const { fresh, again } = results[index] as { fresh: DrainRun; again: DrainRun };
        return [
          way.label,
          formatRate(fresh.rate),
          share(fresh, base.fresh),
          formatRate(again.rate),
          share(again, base.again),
          us(again.serverUs),
          us(again.workersUs),
        ];
      }),
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
