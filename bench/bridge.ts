/**
 * The ingress bridge benchmark, on the machine's PostgreSQL and Redis, with
 * the publisher, the bridges and this measuring process each in a process
 * of its own (bench/bridge/):
 *
 * 1. throughput of one bridge process from Redis Pub/Sub into PostgreSQL and
 *    into the Redis Streams provider: a burst of N messages as fast as the
 *    publisher goes, then a ladder of paced rates up to the first the bridge
 *    does not sustain; what was lost or cut off is counted, the log read back;
 * 2. end-to-end latency, publish to a millrace consumer's handler, at 1,000
 *    msg/s after a 2 s warm-up;
 * 3. kill trials on PostgreSQL: three bridge processes, the leader SIGKILLed,
 *    the time until another takes over, then lost and duplicated messages.
 *
 * Each run gets a schema or key prefix of its own, removed afterwards, also
 * when the run fails or is interrupted. Prints markdown tables.
 *
 *   npm run bench:bridge -- [--messages 200000] [--latency-seconds 10] [--trials 5]
 *     [--only pg|redis] [--ladder 10000,20000,40000,80000] [--step-seconds 3]
 *     [--kill-rate 2000] [--lease-ms 2000]
 */
import { parseArgs } from 'node:util';
import { killAllChildren } from './bridge/children.js';
import { measureKills } from './bridge/kill-trials.js';
import { measureLatency, type LatencyRow } from './bridge/latency.js';
import { describeBridgeMachine } from './bridge/machine.js';
import { destroyAllPlaces, type LogKind } from './bridge/places.js';
import { MESSAGE_BYTES } from './bridge/protocol.js';
import {
  checkTable,
  killSummary,
  killTable,
  latencyTable,
  sustainedLines,
  throughputTable,
} from './bridge/report.js';
import { measureThroughput, type ThroughputResult } from './bridge/throughput.js';
import { progress } from './stats.js';

// Retries and reconnects are counted in the tables: keep the output readable.
process.env.MILLRACE_LOG_LEVEL ??= 'error';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '200000' },
    'latency-seconds': { type: 'string', default: '10' },
    trials: { type: 'string', default: '5' },
    only: { type: 'string' },
    ladder: { type: 'string', default: '10000,20000,40000,80000' },
    'step-seconds': { type: 'string', default: '3' },
    'kill-rate': { type: 'string', default: '2000' },
    'lease-ms': { type: 'string', default: '2000' },
  },
});

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

const messages = Math.round(positive('messages', values.messages));
const latencySeconds = positive('latency-seconds', values['latency-seconds']);
const trials = Math.round(Number(values.trials));
const ladder = values.ladder.split(',').map((rate) => positive('ladder', rate));
const stepSeconds = positive('step-seconds', values['step-seconds']);
const killRate = positive('kill-rate', values['kill-rate']);
const leaseMs = Math.round(positive('lease-ms', values['lease-ms']));
if (values.only !== undefined && values.only !== 'pg' && values.only !== 'redis') {
  throw new Error('--only takes pg or redis');
}
const logs: LogKind[] = values.only === undefined ? ['pg', 'redis'] : [values.only];
const LATENCY_RATE = 1000;

/** Interrupted: the children go, and so do the schemas and key prefixes made, then this process. */
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    killAllChildren();
    void destroyAllPlaces().finally(() => process.exit(130));
  });
}

const print = (text: string) => console.log(`${text}\n`);

try {
  print(`\n${await describeBridgeMachine()}`);
  print(
    `One bridge (\`millrace.bridge\`, Redis Pub/Sub source, lease ${leaseMs} ms, default batching: at most 1,000 messages an append) per process; messages are ~${MESSAGE_BYTES}-byte JSON, published by a separate process in pipelines. Times are read on the machine's monotonic clock, the same in every process.`,
  );

  const throughput: ThroughputResult[] = [];
  for (const kind of logs) {
    throughput.push(
      await measureThroughput(kind, messages, ladder, stepSeconds, leaseMs, progress),
    );
  }
  print(
    `## Throughput, Pub/Sub to the log, one bridge process\n\nA burst of ${messages.toLocaleString('en-US')} messages, then a ladder of ${stepSeconds} s steps (${ladder.join(', ')} msg/s) on a fresh log, stopping at the first step not kept up with (appended slower than ${95} % of the publishing rate) or losing messages.`,
  );
  print(throughputTable(throughput));
  print(sustainedLines(throughput));
  print(`Read back from the log:\n\n${checkTable(throughput.flatMap((t) => t.checks))}`);

  const latency: LatencyRow[] = [];
  for (const kind of logs) {
    progress(`latency, ${kind}`);
    latency.push(await measureLatency(kind, LATENCY_RATE, latencySeconds, leaseMs));
  }
  print(
    `## Latency, publish to handler\n\n${LATENCY_RATE.toLocaleString('en-US')} msg/s for ${latencySeconds} s after a 2 s warm-up; a millrace consumer (ordering \`none\`) in the measuring process.`,
  );
  print(latencyTable(latency));

  if (logs.includes('pg') && trials > 0) {
    const kills = await measureKills(trials, killRate, leaseMs, progress);
    print(
      `## Kill trials, PostgreSQL\n\nThree bridge processes, a publisher at ${killRate.toLocaleString('en-US')} msg/s; the leader SIGKILLed ${trials} times, a replacement started after each. Times from the kill to another process's \`leading\`, \`takeover\` (predecessor fenced off, resume point found) and first appended batch. A bridge's lease on PostgreSQL is a lease row alone (no session lock), so a killed leader is replaced once its lease (${leaseMs} ms) lapses.`,
    );
    print(killTable(kills));
    print(killSummary(kills));
  }
  progress('done');
} catch (error) {
  // What fails once the children are killed is no news: the handler above exits.
  if (interrupted) await new Promise<never>(() => undefined);
  throw error;
} finally {
  killAllChildren();
  await destroyAllPlaces();
}
