import type { Command } from 'commander';
import { pendingScheduledJson } from '../../server/wire/responses.js';
import { integer } from '../arguments.js';
import { formatScheduled, note, print, printJson } from '../output.js';
import { addTargetOptions, withClient, type TargetOptions } from '../target.js';

interface ScheduledCommandOptions extends TargetOptions {
  stream?: string;
  limit?: number;
  after?: string;
  cancel?: string;
  json?: boolean;
}

export function scheduledCommand(program: Command): void {
  const command = program
    .command('scheduled')
    .description('list delayed events waiting for their time, in delivery order; or cancel one')
    .option('--stream <stream>', "only this stream's delayed events")
    .option('--limit <n>', 'how many to list (default 100)', integer(1, 10_000))
    .option('--after <cursor>', 'the next page (the cursor the last page printed)')
    .option('--cancel <id>', 'cancel the delayed event with this id')
    .option('--json', 'print JSON: { count, events: [...], next }, or { cancelled }');
  addTargetOptions(command).action(async (options: ScheduledCommandOptions) => {
    await withClient(options, async (client) => {
      if (options.cancel !== undefined) {
        const cancelled = await client.cancelScheduled(options.cancel);
        if (options.json) return printJson({ cancelled });
        return print(
          cancelled ? `cancelled ${options.cancel}` : `no delayed event ${options.cancel} waits`,
        );
      }
      const { count, events, next } = await client.scheduled({
        stream: options.stream,
        limit: options.limit,
        after: options.after,
      });
      if (options.json) return printJson({ count, events: events.map(pendingScheduledJson), next });
      events.forEach((event) => print(formatScheduled(event)));
      note(`${count} delayed events waiting`);
      if (next !== null) note(`more: --after '${next}'`);
    });
  });
}
