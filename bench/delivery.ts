/**
 * The delivery benchmark on the real PostgreSQL: draining with a no-op
 * handler in each ordering mode, the same with 1 % of events failing once,
 * and a 5 ms handler at concurrency 32 in each ordering mode, with the rows
 * written per event (position commits and delivery records, counted by
 * PostgreSQL's own statistics). Prints markdown tables.
 *
 *   npm run bench:delivery -- [--events 100000] [--slow-events 10000]
 */
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Ordering } from '../src/index.js';
import { DATABASE_URL, openBench } from './backends.js';
import { describeMachine } from './machine.js';
import { orderEvent, BATCH_STREAMS } from './scenarios.js';
import { formatRate, perSecond, progress, table } from './stats.js';

// Retries are expected here: keep the table readable.
process.env.MILLRACE_LOG_LEVEL ??= 'error';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    'slow-events': { type: 'string', default: '10000' },
  },
});
const events = Number(values.events);
const slowEvents = Number(values['slow-events']);
const ORDERINGS: Ordering[] = ['partition', 'stream', 'none'];

interface Run {
  readonly rate: number;
  /** Position commits and delivery rows written, per event. */
  readonly writesPerEvent: number;
  readonly deliveryRowsLeft: number;
}

/** Rows inserted, updated or deleted in the consumer's tables, by PostgreSQL's statistics. */
async function writes(admin: pg.Client, schema: string): Promise<number> {
  // Statistics reach the shared view within a second of each backend's transaction.
  await sleep(1200);
  await admin.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await admin.query<{ writes: string }>(
    `SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::text AS writes
     FROM pg_stat_user_tables
     WHERE schemaname = $1 AND relname IN ('consumer_positions', 'deliveries')`,
    [schema],
  );
  return Number(rows[0]?.writes ?? 0);
}

async function run(
  count: number,
  ordering: Ordering,
  handlerMs: number,
  failOnceEvery: number | undefined,
  concurrency: number,
): Promise<Run> {
  const bench = await openBench('postgres');
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  try {
    const { millrace } = bench;
    for (let first = 0; first < count; first += 1000) {
      await millrace.publishBatch(
        Array.from({ length: Math.min(1000, count - first) }, (_, i) =>
          orderEvent(first + i, BATCH_STREAMS),
        ),
      );
    }
    const schema = (millrace.provider as unknown as { book: { names: { schema: string } } }).book
      .names.schema;
    const before = await writes(admin, schema);
    let handled = 0;
    let finish: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const consumer = millrace.consumer({
      name: 'delivery',
      sequence: { category: 'order' },
      partitions: 8,
      ordering,
      concurrency,
      retry: { type: 'fixed', delayMs: 10 },
      handler: async (event, context) => {
        const n = (event.data as { n: number }).n;
        if (failOnceEvery !== undefined && n % failOnceEvery === 0 && context.attempt === 1) {
          throw new Error('fails once');
        }
        if (handlerMs > 0) await sleep(handlerMs);
        if (++handled === count) finish();
      },
    });
    const started = performance.now();
    await consumer.start();
    await done;
    const rate = perSecond(count, performance.now() - started);
    await consumer.stop();
    const written = (await writes(admin, schema)) - before;
    const { rows } = await admin.query<{ left: string }>(
      `SELECT count(*)::text AS left FROM "${schema}".deliveries`,
    );
    return { rate, writesPerEvent: written / count, deliveryRowsLeft: Number(rows[0]?.left) };
  } finally {
    await admin.end();
    await bench.dispose();
  }
}

const rows: string[][] = [];
for (const ordering of ORDERINGS) {
  progress(`drain, ${ordering}`);
  const plain = await run(events, ordering, 0, undefined, 16);
  progress(`drain with 1 % failing once, ${ordering}`);
  const failing = await run(events, ordering, 0, 100, 16);
  progress(`5 ms handler, concurrency 32, ${ordering}`);
  const slow = await run(slowEvents, ordering, 5, undefined, 32);
  rows.push([
    ordering,
    formatRate(plain.rate),
    plain.writesPerEvent.toFixed(4),
    formatRate(failing.rate),
    failing.writesPerEvent.toFixed(4),
    String(failing.deliveryRowsLeft),
    formatRate(slow.rate),
  ]);
}
progress('done');
console.log(`\n${await describeMachine(DATABASE_URL)}\n`);
console.log(
  `${events.toLocaleString('en-US')} events over ${BATCH_STREAMS.toLocaleString('en-US')} streams, 8 partitions; the slow run ${slowEvents.toLocaleString('en-US')} events\n`,
);
console.log(
  table(
    [
      'ordering',
      'drain (events/s)',
      'rows written per event',
      'drain, 1 % fail once (events/s)',
      'rows written per event',
      'delivery rows left',
      '5 ms handler, concurrency 32 (events/s)',
    ],
    rows,
  ),
);
