/**
 * One member of one consumer in a process of its own, so tests and the
 * members benchmark can kill -9 it, freeze it (SIGSTOP) and cut its database
 * connections like a real deployment's. Run with `node --import tsx`.
 *
 *   --database-url URL --schema S [--consumer chaos] [--category item]
 *   [--partitions 8] [--session-timeout-ms 2000] [--coordination session|lease]
 *   [--mode history|sleep] [--start now|stdin] [--max-connections 4] [--concurrency N]
 *
 * Modes: `history` records every handling in <schema>.history (see
 * history.ts) before the handler returns; `sleep` waits 1 ms of I/O and
 * records nothing (the benchmark). With `--start stdin` the provider opens
 * and the member waits for a `start` line, so several members can start
 * together. It talks to its parent in JSON lines on stdout (see
 * member-protocol.ts); logs go to stderr. SIGTERM closes millrace (drain, commit, leave), then exits.
 */
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Millrace, postgres, type Handler, type Logger } from '../../src/index.js';
import { insertHandlingSql } from './history.js';
import { MEMBER_APPLICATION, type MemberLine } from './member-protocol.js';

const { values: args } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    schema: { type: 'string' },
    consumer: { type: 'string', default: 'chaos' },
    category: { type: 'string', default: 'item' },
    partitions: { type: 'string', default: '8' },
    'session-timeout-ms': { type: 'string', default: '2000' },
    coordination: { type: 'string', default: 'session' },
    mode: { type: 'string', default: 'history' },
    start: { type: 'string', default: 'now' },
    'max-connections': { type: 'string', default: '4' },
    concurrency: { type: 'string' },
  },
});
const databaseUrl = args['database-url'];
const schema = args.schema;
if (databaseUrl === undefined || schema === undefined) {
  throw new Error('member-process needs --database-url and --schema');
}

const say = (line: MemberLine) => process.stdout.write(`${JSON.stringify(line)}\n`);

/**
 * Handler starts and refusals, counted in the order this process saw them,
 * so the checker can order a start against a refusal exactly (timestamps
 * are the wall clock's, which the database and other processes share).
 */
let ticks = 0;

const stderrLogger: Logger = Object.fromEntries(
  (['debug', 'info', 'warn', 'error'] as const).map((level) => [
    level,
    (fields: Record<string, unknown>, message: string) =>
      level === 'debug' || level === 'info'
        ? undefined
        : process.stderr.write(`${JSON.stringify({ level, message, ...fields })}\n`),
  ]),
) as unknown as Logger;

/** Tagged by pid, so a test can find this process's backends in pg_stat_activity. */
function withApplicationName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('application_name', name);
  return parsed.toString();
}

const millrace = await Millrace.open({
  provider: postgres({
    connectionString: withApplicationName(databaseUrl, `${MEMBER_APPLICATION}${process.pid}`),
    schema,
    maxConnections: Number(args['max-connections']),
    coordination: args.coordination === 'lease' ? 'lease' : 'session',
  }),
  logger: stderrLogger,
});

// The history is the test's instrument, not the system under test: its own
// pool, named apart so fault injection never cuts it.
const history =
  args.mode === 'history'
    ? new pg.Pool({
        connectionString: withApplicationName(databaseUrl, 'millrace-history'),
        max: 2,
      })
    : undefined;
history?.on('error', () => undefined);
const insertHandling = insertHandlingSql(schema);

let handled = 0;
let lastAt = 0;
const moving = new Set<string>();

const handler: Handler = async (event, context) => {
  const startedAt = Date.now();
  const tick = ++ticks;
  const grant = `${context.partition}:${context.generation}`;
  if (!moving.has(grant)) {
    moving.add(grant);
    say({
      type: 'first',
      at: startedAt,
      partition: context.partition,
      generation: context.generation,
    });
  }
  if (history) {
    // The handling's last step: its row going in marks its end (see history.ts).
    await history.query(insertHandling, [
      event.id,
      event.stream,
      event.version,
      event.position,
      context.partition,
      context.generation,
      context.member,
      process.pid,
      startedAt,
      tick,
    ]);
  } else {
    await sleep(1);
  }
  handled++;
  lastAt = Date.now();
};

const consumer = millrace.consumer({
  name: args.consumer,
  sequence: { category: args.category },
  partitions: Number(args.partitions),
  sessionTimeoutMs: Number(args['session-timeout-ms']),
  concurrency: args.concurrency === undefined ? undefined : Number(args.concurrency),
  handler,
});
consumer.signals.on('fenced', (refused) =>
  say({
    type: 'refused',
    at: Date.now(),
    tick: ++ticks,
    refused: refused.map(({ partition, generation }) => ({ partition, generation })),
  }),
);
consumer.signals.on('assigned', (assignment) =>
  say({
    type: 'assigned',
    at: Date.now(),
    generation: assignment.generation,
    partitions: [...assignment.partitions],
  }),
);

let closing: Promise<void> | undefined;
function close(): void {
  closing ??= (async () => {
    await millrace.close();
    await history?.end();
    say({ type: 'stopped' });
    process.exit(0);
  })();
}
process.on('SIGTERM', close);
process.on('SIGINT', close);

if (args.start === 'stdin') {
  say({ type: 'open', pid: process.pid });
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) if (line.trim() === 'start') break;
}
await consumer.start();
say({ type: 'ready', pid: process.pid, member: consumer.member.id });

// Unreferenced: the running consumer itself must keep this process alive
// until SIGTERM, whatever its connections do (an exit is a failure).
let reported = 0;
setInterval(() => {
  if (handled === reported) return;
  reported = handled;
  say({ type: 'progress', handled, lastAt });
}, 100).unref();
