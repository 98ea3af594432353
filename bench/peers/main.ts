/**
 * millrace next to pg-boss, graphile-worker and BullMQ on the same machine in
 * the same run, one system at a time, with the machine's raw ceilings, as
 * markdown tables (stdout; a live status line goes to stderr).
 *
 *   npm run bench:peers -- [--only millrace-postgres,pg-boss,...]
 *     [--scenario drain,latency,slow,scale,recovery,big-log,ceilings]
 *     [--jobs 100000] [--slow-jobs 20000] [--concurrency 32] [--rate 500]
 *     [--latency-seconds 30] [--latency-rounds 3] [--processes 1,2,4]
 *     [--recovery-trials 5] [--recovery-cap 90] [--big-log 10000000]
 *     [--write-readme]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { assertKafkaReachable } from '../../test/support/kafka.js';
import { DATABASE_URL } from '../backends.js';
import { measureCeilings } from '../ceilings.js';
import { describeMachine } from '../machine.js';
import { progress } from '../stats.js';
import { measureBigLog } from './big-log.js';
import { measureCommits, measureRedis } from './ceilings-extra.js';
import { recoverAfterKill } from './recovery.js';
import { renderReport } from './report.js';
import type { PeerResults, SystemResults } from './results.js';
import { drainBacklog, steadyLatency } from './scenarios.js';
import type { SystemKind } from './system.js';
import { SYSTEMS, systemNamed } from './systems.js';
import { claimRedisDb, releaseRedisDb, REDIS_URL } from './systems/redis-place.js';

const SCENARIOS = ['drain', 'latency', 'slow', 'scale', 'recovery', 'big-log', 'ceilings'] as const;
type Scenario = (typeof SCENARIOS)[number];

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    scenario: { type: 'string' },
    jobs: { type: 'string', default: '100000' },
    'slow-jobs': { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '32' },
    rate: { type: 'string', default: '500' },
    'latency-seconds': { type: 'string', default: '30' },
    'latency-rounds': { type: 'string', default: '3' },
    processes: { type: 'string', default: '1,2,4' },
    'recovery-trials': { type: 'string', default: '5' },
    'recovery-cap': { type: 'string', default: '90' },
    'big-log': { type: 'string', default: '10000000' },
    'big-log-tail': { type: 'string', default: '100000' },
    'big-log-rounds': { type: 'string', default: '3' },
    'write-readme': { type: 'boolean', default: false },
  },
});

function count(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`--${flag} must be a positive integer, got ${text}`);
  }
  return value;
}
const list = (text: string) =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

const systems: SystemKind[] =
  values.only === undefined ? [...SYSTEMS] : list(values.only).map(systemNamed);
const scenarios = new Set<Scenario>(
  values.scenario === undefined
    ? SCENARIOS
    : list(values.scenario).map((name) => {
        if (!(SCENARIOS as readonly string[]).includes(name)) {
          throw new Error(`unknown scenario ${name}; known: ${SCENARIOS.join(', ')}`);
        }
        return name as Scenario;
      }),
);
const settings = {
  jobs: count('jobs', values.jobs),
  slowJobs: count('slow-jobs', values['slow-jobs']),
  concurrency: count('concurrency', values.concurrency),
  rate: count('rate', values.rate),
  latencySeconds: count('latency-seconds', values['latency-seconds']),
  latencyRounds: count('latency-rounds', values['latency-rounds']),
  processes: list(values.processes).map((n) => count('processes', n)),
  recoveryTrials: count('recovery-trials', values['recovery-trials']),
  recoveryCapSeconds: count('recovery-cap', values['recovery-cap']),
};

async function assertRedisReachable(): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(
      `Redis is not reachable at ${REDIS_URL} (${(error as Error).message}); start it (redis-server) or set MILLRACE_BENCH_REDIS_URL`,
    );
  } finally {
    redis.disconnect();
  }
}

if (systems.some((system) => system.name === 'millrace-kafka')) await assertKafkaReachable();
if (systems.some((system) => /bullmq|redis/.test(system.name)) || scenarios.has('ceilings')) {
  await assertRedisReachable();
}

const results: PeerResults = {
  date: new Date().toISOString().slice(0, 10),
  machine: '',
  settings,
  systems: new Map(
    systems.map((s) => [s.name, { latency: [], recovery: [], scale: new Map(), notes: new Map() }]),
  ),
  configurations: new Map(systems.map((s) => [s.name, s.configuration])),
};

/** Runs one scenario of one system; a failure becomes the table's cell, not the end of the run. */
async function attempt(
  system: SystemKind,
  scenario: string,
  body: (into: SystemResults) => Promise<void>,
) {
  const into = results.systems.get(system.name) as SystemResults;
  try {
    await body(into);
  } catch (error) {
    const message = (error as Error).message.split('\n')[0] ?? 'failed';
    into.notes.set(scenario, `failed: ${message}`);
    console.error(`\n${system.name} ${scenario} failed:`, error);
  }
}

for (const system of systems) {
  if (!scenarios.has('drain')) break;
  await attempt(system, 'drain', async (into) => {
    into.drain = await drainBacklog(system, {
      ...settings,
      processes: 1,
      handler: 'noop',
      label: 'drain',
    });
  });
}
// Latency tails move with whatever else the machine does; rounds taken in
// turns spread that over every system, and the table shows their medians.
for (let round = 0; round < settings.latencyRounds && scenarios.has('latency'); round++) {
  for (const system of systems) {
    await attempt(system, 'latency', async (into) => {
      into.latency.push(
        await steadyLatency(system, {
          rate: settings.rate,
          seconds: settings.latencySeconds,
          concurrency: settings.concurrency,
        }),
      );
    });
  }
}
for (const system of systems) {
  if (!scenarios.has('slow')) break;
  await attempt(system, 'slow', async (into) => {
    into.slow = await drainBacklog(system, {
      jobs: settings.slowJobs,
      concurrency: settings.concurrency,
      processes: 1,
      handler: 'io5ms',
      label: 'slow handler',
    });
  });
}
for (const system of systems) {
  if (!scenarios.has('scale')) break;
  for (const processes of settings.processes) {
    if (system.embedded && processes > 1) {
      results.systems.get(system.name)?.notes.set(`scale-${processes}`, 'one process only');
      continue;
    }
    await attempt(system, `scale-${processes}`, async (into) => {
      into.scale.set(
        processes,
        await drainBacklog(system, {
          jobs: settings.jobs,
          concurrency: settings.concurrency,
          processes,
          handler: 'noop',
          label: `${processes} processes`,
        }),
      );
    });
  }
}
for (const system of systems) {
  if (!scenarios.has('recovery')) break;
  if (system.embedded) {
    results.systems.get(system.name)?.notes.set('recovery', 'one process only');
    continue;
  }
  for (let trial = 0; trial < settings.recoveryTrials; trial++) {
    await attempt(system, 'recovery', async (into) => {
      into.recovery.push(
        await recoverAfterKill(system, {
          rate: settings.rate,
          concurrency: settings.concurrency,
          capMs: settings.recoveryCapSeconds * 1000,
        }),
      );
    });
    // Past the cap once is past it every time: the other trials would only wait it out.
    if (results.systems.get(system.name)?.recovery.at(-1)?.recoveredMs === undefined) break;
  }
}
if (scenarios.has('big-log')) {
  const history = count('big-log', values['big-log']);
  const tail = count('big-log-tail', values['big-log-tail']);
  const rounds = count('big-log-rounds', values['big-log-rounds']);
  results.bigLog = {
    small: await measureBigLog(0, tail, rounds, settings.concurrency),
    big: await measureBigLog(history - tail, tail, rounds, settings.concurrency),
  };
}
if (scenarios.has('ceilings')) {
  progress('ceilings: PostgreSQL');
  const pg = await measureCeilings(DATABASE_URL, settings.jobs);
  const commitsPerSecond = await measureCommits(DATABASE_URL, 16, 10);
  results.postgresCeilings = { ...pg, commitsPerSecond };
  progress('ceilings: Redis');
  const db = await claimRedisDb(REDIS_URL, `ceilings-${process.pid}`);
  try {
    results.redisCeilings = await measureRedis(REDIS_URL, db, settings.jobs);
  } finally {
    await releaseRedisDb(REDIS_URL, db);
  }
}
progress('');

const machine = await describeMachine(DATABASE_URL);
const report = renderReport({ ...results, machine });
console.log(`\n${report}`);

if (values['write-readme']) {
  const START = '<!-- bench:peers:start -->';
  const END = '<!-- bench:peers:end -->';
  const readme = readFileSync('README.md', 'utf8');
  const from = readme.indexOf(START);
  const to = readme.indexOf(END);
  if (from < 0 || to < from) throw new Error(`README.md has no ${START} … ${END} section to fill`);
  writeFileSync(
    'README.md',
    `${readme.slice(0, from + START.length)}\n\n${report}\n\n${readme.slice(to)}`,
  );
  console.error('README.md updated');
}
