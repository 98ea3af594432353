/**
 * A consumer process that kills itself (-9) at a chosen step of handling a
 * chosen event, for the delivery-guarantee tests. Run with `node --import tsx`.
 *
 *   --database-url URL --schema S --delivery at-least-once|at-most-once|effectively-once
 *   [--crash-at before-handling|during|after-writes|after-handled|after-commit] [--crash-event n]
 *
 * Every handling writes two effect rows ('a', then 'b') to <schema>.effects:
 * through the handler's transaction with effectively-once, on a pool of its
 * own otherwise. Prints `ready` once consuming.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Millrace, postgres, type Event, type Logger } from '../../src/index.js';

const { values: args } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    schema: { type: 'string' },
    delivery: { type: 'string' },
    'crash-at': { type: 'string' },
    'crash-event': { type: 'string', default: '-1' },
  },
});
const schema = args.schema as string;
const delivery = args.delivery as 'at-least-once' | 'at-most-once' | 'effectively-once';
const crashAt = args['crash-at'];
const crashEvent = Number(args['crash-event']);

const quiet = Object.fromEntries(
  ['debug', 'info', 'warn', 'error'].map((level) => [level, () => undefined]),
) as unknown as Logger;

const die = (): never => {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
};

const millrace = await Millrace.open({
  provider: postgres({ connectionString: args['database-url'], schema, maxConnections: 4 }),
  logger: quiet,
});
const effects = new pg.Pool({ connectionString: args['database-url'], max: 2 });
const insert = `INSERT INTO "${schema}".effects (event_id, part) VALUES ($1, $2)`;

interface Queryable {
  query(text: string, params: unknown[]): Promise<unknown>;
}

const n = (event: Event) => (event.data as { n: number }).n;
let crashedPosition: string | undefined;

const consumer = millrace.consumer({
  name: 'guarantee',
  sequence: { category: 'item' },
  partitions: 1,
  ordering: 'partition',
  delivery,
  commitIntervalMs: 20,
  retry: { type: 'fixed', delayMs: 20 },
  logger: quiet,
  handler: async (event, context) => {
    const crash = n(event) === crashEvent;
    if (crash && crashAt === 'before-handling') die();
    const target = (context.transaction as Queryable | undefined) ?? effects;
    await target.query(insert, [event.id, 'a']);
    if (crash && crashAt === 'during') die();
    await target.query(insert, [event.id, 'b']);
    if (crash && crashAt === 'after-writes') die();
  },
});
consumer.signals.on('handled', (event) => {
  if (n(event) !== crashEvent) return;
  crashedPosition = event.position;
  // At most once, the position was stored before handling: right after it is "after the commit".
  if (crashAt === 'after-handled' || (crashAt === 'after-commit' && delivery === 'at-most-once')) {
    die();
  }
});
consumer.signals.on('committed', (commits) => {
  if (crashAt !== 'after-commit' || crashedPosition === undefined) return;
  if (commits.some((c) => BigInt(c.position) >= BigInt(crashedPosition as string))) die();
});
await consumer.start();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void (async () => {
    await millrace.close();
    await effects.end();
    process.exit(0);
  })();
});
