/**
 * `millrace bridge`: runs one process of an ingress bridge until Ctrl-C
 * (run it in as many processes as you want standbys), and
 * `millrace bridge status`: who leads a bridge, in which term, and its counts.
 */
import { Option, type Command } from 'commander';
import type { Bridge } from '../../bridge/bridge.js';
import type { BridgeStatus } from '../../bridge/bridge-status.js';
import type { FullBufferPolicy, StreamChoice } from '../../bridge/bridge-options.js';
import { natsSubjects } from '../../bridge/sources/nats-subjects.js';
import { redisPubSub } from '../../bridge/sources/redis-pubsub.js';
import type { BridgeSource } from '../../bridge/sources/source.js';
import { delay, integer } from '../arguments.js';
import { UsageError } from '../errors.js';
import { cliLogger, logLevel } from '../logger.js';
import { print, printJson } from '../output.js';
import { shutdownSignal } from '../shutdown-signal.js';
import {
  addDatabaseOptions,
  addTargetOptions,
  openMillrace,
  withClient,
  type DatabaseOptions,
  type TargetOptions,
} from '../target.js';

interface RunOptions extends DatabaseOptions {
  from: string;
  channel: string[];
  to: string;
  name: string;
  streams: StreamChoice;
  subject?: string;
  leaseMs: number;
  maxBatch: number;
  bufferMb: number;
  keep: number;
  whenFull: FullBufferPolicy;
  json?: boolean;
}

interface StatusOptions extends TargetOptions {
  name: string;
  json?: boolean;
}

function sourceOf(options: RunOptions): BridgeSource {
  if (/^rediss?:\/\//.test(options.from)) {
    return redisPubSub({ url: options.from, channels: options.channel });
  }
  if (/^nats:\/\//.test(options.from)) {
    return natsSubjects({ servers: options.from, subjects: options.channel });
  }
  throw new UsageError(`--from ${options.from}: use redis://host:port or nats://host:port`);
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** One line per change of role, as text or JSON (for scripts that watch it). */
function report(bridge: Bridge, json: boolean): void {
  const line = (event: string, fields: Record<string, unknown>, text: string) => {
    if (json) printJson({ event, pid: process.pid, ...fields });
    else print(text);
  };
  bridge.signals.on('leading', (term) =>
    line('leading', { term }, `bridge ${bridge.name}: leading in term ${term}`),
  );
  bridge.signals.on('takeover', (t) =>
    line(
      'takeover',
      { ...t },
      `bridge ${bridge.name}: took over in term ${t.term}: ${t.resumed} held messages appended first, ${t.deduplicated} already in the log${t.aligned ? '' : ' (resumed by arrival time)'}`,
    ),
  );
  bridge.signals.on('standby', () => line('standby', {}, `bridge ${bridge.name}: standing by`));
  bridge.signals.on('failed', (error) =>
    line('failed', { message: error.message }, `bridge ${bridge.name}: ${error.message}`),
  );
}

async function run(options: RunOptions): Promise<void> {
  const logger = cliLogger({ json: false, level: logLevel('info'), out: process.stderr });
  const millrace = await openMillrace(options, logger);
  try {
    const bridge = millrace.bridge({
      name: options.name,
      source: sourceOf(options),
      to: options.to,
      streams: options.streams,
      subject: options.subject,
      leaseMs: options.leaseMs,
      maxBatch: options.maxBatch,
      bufferBytes: options.bufferMb * 1024 * 1024,
      keepMs: options.keep,
      whenFull: options.whenFull,
      logger,
    });
    report(bridge, options.json === true);
    const failed = new Promise<Error>((resolve) => bridge.signals.once('failed', resolve));
    await bridge.start();
    if (options.json) printJson({ event: 'started', pid: process.pid, name: options.name });
    else print(`bridge ${options.name}: ${options.from} -> ${options.to}; Ctrl-C stops`);
    const ended = await Promise.race([shutdownSignal(logger), failed]);
    await bridge.stop();
    if (ended instanceof Error) throw ended;
  } finally {
    await millrace.close();
  }
}

function formatStatus(status: BridgeStatus): string[] {
  return [
    `bridge ${status.name}: leader ${status.leader.host} pid ${status.leader.pid}, term ${status.term}, since ${status.since.toISOString()}`,
    `  last write ${status.lastWrite.toISOString()}, ${status.batches} batches this term`,
    `  leader's counts: received ${status.received}, appended ${status.appended}, deduplicated ${status.deduplicated}, dropped ${status.dropped}`,
  ];
}

export function bridgeCommand(program: Command): void {
  const bridge = program
    .command('bridge')
    .description(
      'move messages from Redis Pub/Sub or NATS into a category, one leader at a time; run it in several processes for standbys',
    )
    .option('--from <url>', 'the source: redis://host:port or nats://host:port')
    .option('--channel <name>', 'a channel, pattern or NATS subject (repeat for more)', collect)
    .option('--to <category>', 'the category messages land in')
    .option('--name <name>', 'the bridge: processes with one name elect one leader', 'default')
    .addOption(
      new Option('--streams <choice>', 'message: a stream per message; channel: one per channel')
        .choices(['message', 'channel'])
        .default('message'),
    )
    .option('--subject <subject>', "the events' subject (default: from the channel)")
    .option(
      '--lease-ms <ms>',
      'a silent leader is replaced after this long',
      integer(100, 600_000),
      2000,
    )
    .option('--max-batch <n>', 'the most messages in one append', integer(1, 10_000), 1000)
    .option('--buffer-mb <n>', 'memory for messages held, in MiB', integer(1, 1_048_576), 64)
    .addOption(
      new Option(
        '--keep <delay>',
        'how long messages known to be in the log are kept for a takeover',
      )
        .argParser(delay)
        .default(30_000, '30s'),
    )
    .addOption(
      new Option('--when-full <policy>', 'when the log cannot take messages and the buffer is full')
        .choices(['drop-oldest', 'block', 'crash'])
        .default('drop-oldest'),
    )
    .option('--json', 'print each change of role as a JSON line');
  addDatabaseOptions(bridge).action(async (options: RunOptions) => {
    if (options.from === undefined || options.to === undefined || options.channel === undefined) {
      throw new UsageError('millrace bridge needs --from, --channel and --to');
    }
    await run(options);
  });
  const status = bridge
    .command('status')
    .description("a bridge's leader, term and counts, from its last checkpoint")
    .option('--name <name>', 'the bridge', 'default')
    .option('--json', 'print the status as JSON');
  addTargetOptions(status).action(async (options: StatusOptions) => {
    await withClient(options, async (client) => {
      const found = await client.bridgeStatus(options.name);
      if (options.json) printJson(found);
      else for (const text of formatStatus(found)) print(text);
    });
  });
}
