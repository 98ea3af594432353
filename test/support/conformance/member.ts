/**
 * A conformance member in a process of its own, on any target with a
 * process spec: it opens the provider from the JSON spec, runs one consumer
 * over one category, and reports on stdout in JSON lines (child-members.ts
 * reads them): `ready`, every `assigned`, and every `handled` event, written
 * before its handler returns, so a line means the handler ran. The
 * provider-independent instrument for kill -9 tests. Logs go to stderr.
 * SIGTERM closes millrace (drain, commit, leave) and exits.
 *
 *   node --import tsx member.ts --spec '<ProviderSpec JSON>' --consumer c
 *     --category order --session-timeout-ms 2000
 */
import { parseArgs } from 'node:util';
import { Millrace, type Logger } from '../../../src/index.js';
import { openProviderFromSpec, parseProviderSpec } from './provider-spec.js';
import type { WorkloadData } from './workload.js';

export type ChildLine =
  | { type: 'ready'; pid: number; member: string }
  | { type: 'assigned'; partitions: number[]; generation: number }
  | {
      type: 'handled';
      id: string;
      stream: string;
      n: number;
      subject: string;
      position: string;
      partition: number;
      attempt: number;
      at: number;
    }
  | { type: 'stopped' };

const { values: args } = parseArgs({
  options: {
    spec: { type: 'string' },
    consumer: { type: 'string' },
    category: { type: 'string' },
    'session-timeout-ms': { type: 'string', default: '10000' },
  },
});
if (args.spec === undefined || args.consumer === undefined || args.category === undefined) {
  throw new Error('member.ts needs --spec, --consumer and --category');
}

// Synchronous on pipes (Linux): once written, the line is the parent's even if we are killed.
const say = (line: ChildLine) => process.stdout.write(`${JSON.stringify(line)}\n`);

const stderrLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (fields, message) => process.stderr.write(`${JSON.stringify({ message, ...fields })}\n`),
  error: (fields, message) => process.stderr.write(`${JSON.stringify({ message, ...fields })}\n`),
};

const millrace = await Millrace.open({
  provider: openProviderFromSpec(parseProviderSpec(args.spec)),
  logger: stderrLogger,
});

const consumer = millrace.consumer({
  name: args.consumer,
  sequence: { category: args.category },
  sessionTimeoutMs: Number(args['session-timeout-ms']),
  commitIntervalMs: 50,
  handler: (event, context) => {
    say({
      type: 'handled',
      id: event.id,
      stream: event.stream,
      n: (event.data as unknown as WorkloadData).n,
      subject: event.subject,
      position: event.position,
      partition: context.partition,
      attempt: context.attempt,
      at: performance.timeOrigin + performance.now(),
    });
  },
});
consumer.signals.on('assigned', (assignment) =>
  say({
    type: 'assigned',
    partitions: [...assignment.partitions],
    generation: assignment.generation,
  }),
);

let closing: Promise<void> | undefined;
const close = () => {
  closing ??= (async () => {
    await millrace.close();
    say({ type: 'stopped' });
    process.exit(0);
  })();
};
process.on('SIGTERM', close);
process.on('SIGINT', close);

await consumer.start();
say({ type: 'ready', pid: process.pid, member: consumer.member.id });

// Referenced on purpose: it keeps the process alive until a signal ends it.
setInterval(() => undefined, 60_000);
