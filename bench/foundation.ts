/**
 * The foundation benchmark: publish, drain and latency on PostgreSQL and
 * on PGlite, next to the machine's raw PostgreSQL ceilings, as a markdown
 * table. Speed targets live here, never in tests.
 *
 *   npm run bench -- [--only postgres|pglite] [--events 200000] [--latency-seconds 20]
 */
import { parseArgs } from 'node:util';
import { DATABASE_URL, openBench, type BackendName } from './backends.js';
import { measureCeilings } from './ceilings.js';
import { describeMachine } from './machine.js';
import {
  BATCH_STREAMS,
  drain,
  latency,
  publishBatches,
  publishSingles,
  type Latency,
} from './scenarios.js';
import { formatMs, formatRate, progress, table } from './stats.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    events: { type: 'string', default: '200000' },
    'latency-seconds': { type: 'string', default: '20' },
    'single-events': { type: 'string', default: '20000' },
  },
});
const events = Number(values.events);
const latencySeconds = Number(values['latency-seconds']);
const singles = Number(values['single-events']);
const backends: BackendName[] =
  values.only === undefined ? ['postgres', 'pglite'] : [values.only as BackendName];

interface Result {
  singles: number;
  batches: number;
  batchesConcurrent: number;
  drainP1: number;
  drainP8: number;
  latency: Latency;
}

async function run(name: BackendName): Promise<Result> {
  progress(`${name}: single publishes`);
  let backend = await openBench(name);
  const singleRate = await publishSingles(
    backend.millrace,
    name === 'pglite' ? singles / 4 : singles,
    16,
  );
  await backend.dispose();

  progress(`${name}: batches, 4 publishers`);
  backend = await openBench(name);
  const batchesConcurrent = await publishBatches(backend.millrace, events, 1000, 4);
  await backend.dispose();

  progress(`${name}: batches`);
  backend = await openBench(name);
  const batches = await publishBatches(backend.millrace, events, 1000, 1);
  progress(`${name}: drain`);
  const drainP1 = await drain(backend.millrace, events, { partitions: 1 });
  const drainP8 = await drain(backend.millrace, events, { partitions: 8 });
  await backend.dispose();

  progress(`${name}: latency`);
  backend = await openBench(name);
  const lat = await latency(backend.millrace, 500, latencySeconds);
  await backend.dispose();
  return { singles: singleRate, batches, batchesConcurrent, drainP1, drainP8, latency: lat };
}

const results = new Map<BackendName, Result>();
for (const name of backends) results.set(name, await run(name));
const ceilings = backends.includes('postgres')
  ? await measureCeilings(DATABASE_URL, events)
  : undefined;
progress('');

const machine = await describeMachine(backends.includes('postgres') ? DATABASE_URL : undefined);
const rows = [...results].map(([name, r]) => [
  name,
  formatRate(r.singles),
  formatRate(r.batches),
  formatRate(r.batchesConcurrent),
  formatRate(r.drainP1),
  formatRate(r.drainP8),
  `${formatMs(r.latency.p50)} / ${formatMs(r.latency.p99)} / ${formatMs(r.latency.max)}`,
]);
console.log(`\nmillrace foundation benchmark, ${new Date().toISOString().slice(0, 10)}`);
console.log(`machine: ${machine}`);
console.log(
  `events: ~100-byte JSON data; batches spread over ${formatRate(BATCH_STREAMS)} streams; drains read what the batches wrote\n`,
);
console.log(
  table(
    [
      'provider',
      'publish, 16 concurrent singles (events/s)',
      'publish, batches of 1,000 (events/s)',
      'same, 4 publishers (events/s)',
      `drain ${formatRate(events)}, 1 partition (events/s)`,
      `drain ${formatRate(events)}, 8 partitions (events/s)`,
      'publish→handle at 500/s, p50 / p99 / max (ms)',
    ],
    rows,
  ),
);
if (ceilings) {
  console.log(
    `\nraw PostgreSQL, same run: multi-row INSERT ${formatRate(ceilings.insertRowsPerSecond)} rows/s (batches of 1,000, primary key only), ${formatRate(ceilings.logShapedInsertRowsPerSecond)} rows/s into a table shaped like the log (its four indexes); indexed range SELECT ${formatRate(ceilings.selectRowsPerSecond)} rows/s`,
  );
}
