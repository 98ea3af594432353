import type { Command } from 'commander';
import type { ReadPage } from '../../core/contracts/log.js';
import type { Event } from '../../core/event.js';
import type { Position } from '../../core/position.js';
import { readJson } from '../../server/wire/responses.js';
import { integer, position } from '../arguments.js';
import type { ClientReadOptions, MillraceClient } from '../client/client.js';
import { formatEvent, note, print, printJson } from '../output.js';
import { addSequenceOptions, sequenceOf, type SequenceOptions } from '../sequence-options.js';
import { addTargetOptions, withClient, type TargetOptions } from '../target.js';

interface ReadCommandOptions extends TargetOptions, SequenceOptions {
  after?: Position;
  limit: number;
  json?: boolean;
}

/**
 * A page holds at most `limit` events but may hold fewer when subjects filter
 * some out; a person asking for 100 events wants 100, so keep reading.
 */
async function collect(
  client: MillraceClient,
  options: ClientReadOptions & { limit: number },
): Promise<ReadPage> {
  const events: Event[] = [];
  let page = await client.read(options);
  for (;;) {
    events.push(...page.events);
    if (events.length >= options.limit || !page.hasMore) break;
    page = await client.read({ ...options, after: page.next });
  }
  if (events.length <= options.limit) return { ...page, events };
  const kept = events.slice(0, options.limit);
  return { events: kept, next: (kept.at(-1) as Event).position, hasMore: true, pending: false };
}

export function readCommand(program: Command): void {
  const command = program
    .command('read')
    .description('print events in log order (the whole log, a category or a stream)')
    .option(
      '--after <position>',
      'read events after this position (default: the beginning)',
      position,
    )
    .option('--limit <n>', 'at most this many events', integer(1, 10_000), 100)
    .option('--json', 'print one JSON object: { events, next, hasMore, pending }');
  addSequenceOptions(command);
  addTargetOptions(command).action(async (options: ReadCommandOptions) => {
    const sequence = sequenceOf(options);
    await withClient(options, async (client) => {
      const page = await collect(client, {
        sequence,
        after: options.after,
        limit: options.limit,
        subjects: options.subjects,
      });
      if (options.json) return printJson(readJson(page));
      for (const event of page.events) print(formatEvent(event));
      if (page.hasMore) note(`more events follow: --after ${page.next}`);
      else if (page.events.length === 0) note('no events');
    });
  });
}
