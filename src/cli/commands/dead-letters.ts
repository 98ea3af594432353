import { Option, type Command } from 'commander';
import type { DeliveryFilter } from '../../core/contracts/deliveries.js';
import type { DeliveryJson } from '../../server/wire/dead-letters.js';
import { integer, isoTime } from '../arguments.js';
import { UsageError } from '../errors.js';
import { note, print, printJson } from '../output.js';
import type { MillraceClient } from '../client/client.js';
import { addTargetOptions, withClient, type TargetOptions } from '../target.js';

interface FilterOptions extends TargetOptions {
  consumer?: string;
  state?: DeliveryFilter['state'];
  subject?: string;
  errorCode?: string;
  since?: Date;
  until?: Date;
  event?: string;
  json?: boolean;
}

/** The filter flags every dead-letter command takes. */
function addFilterOptions(command: Command): Command {
  return command
    .option('--consumer <name>', 'only this consumer')
    .addOption(
      new Option('--state <state>', 'retryable, discarded or cancelled').choices([
        'retryable',
        'discarded',
        'cancelled',
      ]),
    )
    .option('--subject <pattern>', 'subjects matching order.* or order.>')
    .option('--error-code <code>', "the last error's code")
    .option('--since <time>', 'last failed at or after (ISO time)', isoTime)
    .option('--until <time>', 'last failed before (ISO time)', isoTime)
    .option('--event <id>', 'one event')
    .option('--json', 'print JSON');
}

function filterOf(options: FilterOptions): DeliveryFilter {
  const filter = {
    consumer: options.consumer,
    state: options.state,
    subject: options.subject,
    errorCode: options.errorCode,
    since: options.since,
    until: options.until,
    eventId: options.event,
  };
  return Object.fromEntries(Object.entries(filter).filter(([, value]) => value !== undefined));
}

function formatDelivery(record: DeliveryJson): string {
  const { event } = record;
  const error = record.lastError
    ? `${record.lastError.code ? `[${record.lastError.code}] ` : ''}${record.lastError.message}`
    : '-';
  return [
    record.updatedAt,
    record.consumer,
    record.state,
    `${event.stream}@${event.version}`,
    event.subject,
    `attempts ${record.attempts}`,
    `id ${event.id}`,
    error,
  ].join('  ');
}

/** Retry and discard act on every dead letter only when asked in so many words. */
function guardedFilter(options: FilterOptions & { all?: boolean }, verb: string): DeliveryFilter {
  const filter = filterOf(options);
  if (Object.keys(filter).length === 0 && !options.all) {
    throw new UsageError(`${verb} needs a filter (--consumer, --event, ...) or --all`);
  }
  return filter;
}

export function deadLettersCommand(program: Command): void {
  const command = program
    .command('dead-letters')
    .description('list, inspect, retry and discard dead letters')
    .addHelpText(
      'after',
      '\nWith no command it lists: millrace dead-letters [filters] [--json] is dead-letters list.\n',
    );

  const list = command
    .command('list', { isDefault: true })
    .description('dead letters (or other delivery states with --state), newest first')
    .option('--limit <n>', 'at most this many', integer(1, 1000), 50)
    .option('--after <cursor>', 'the next page (the cursor the last page printed)');
  addTargetOptions(addFilterOptions(list)).action(
    async (options: FilterOptions & { limit: number; after?: string }) => {
      await withClient(options, async (client) => {
        const page = await client.deadLetters({
          ...filterOf(options),
          limit: options.limit,
          after: options.after,
        });
        if (options.json) return printJson(page);
        if (page.deadLetters.length === 0) note('no dead letters match');
        page.deadLetters.forEach((record) => print(formatDelivery(record)));
        if (page.next !== null) note(`more: --after '${page.next}'`);
      });
    },
  );

  const show = command
    .command('show')
    .description('one delivery record in full: the event, the last error and its stack')
    .argument('<consumer>')
    .argument('<event-id>')
    .option('--json', 'print JSON');
  addTargetOptions(show).action(
    async (consumer: string, eventId: string, options: TargetOptions & { json?: boolean }) => {
      await withClient(options, async (client) => {
        const record = await client.deadLetter(consumer, eventId);
        if (options.json) return printJson(record);
        print(formatDelivery(record));
        print(`data ${JSON.stringify(record.event.data)}`);
        if (record.lastError?.stack) print(record.lastError.stack);
      });
    },
  );

  bulkCommand(
    command,
    'retry',
    "hand matching dead letters back to their consumer's members",
    (client, filter) => client.retryDeadLetters(filter),
  );
  bulkCommand(command, 'discard', 'delete matching dead letters for good', (client, filter) =>
    client.discardDeadLetters(filter),
  );
}

/** `retry` and `discard`: act on a filter (or --all) and say how many. */
function bulkCommand(
  parent: Command,
  verb: 'retry' | 'discard',
  description: string,
  act: (client: MillraceClient, filter: DeliveryFilter) => Promise<number>,
): void {
  const command = parent
    .command(verb)
    .description(description)
    .option('--all', 'every dead letter');
  addTargetOptions(addFilterOptions(command)).action(
    async (options: FilterOptions & { all?: boolean }) => {
      const filter = guardedFilter(options, verb);
      await withClient(options, async (client) => {
        const count = await act(client, filter);
        const done = verb === 'retry' ? 'retried' : 'discarded';
        if (options.json) printJson({ [done]: count });
        else print(`${done} ${count} dead letter${count === 1 ? '' : 's'}`);
      });
    },
  );
}
