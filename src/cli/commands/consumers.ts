import type { Command } from 'commander';
import { consumerJson } from '../../server/wire/responses.js';
import { formatConsumer, note, print, printJson } from '../output.js';
import { addTargetOptions, withClient, type TargetOptions } from '../target.js';

interface ConsumersOptions extends TargetOptions {
  json?: boolean;
}

export function consumersCommand(program: Command): void {
  const command = program
    .command('consumers')
    .description('list consumers with their partitions, positions and lag (or one consumer)')
    .argument('[name]', 'one consumer')
    .option('--json', 'print JSON: { consumers: [...] }, or the one consumer');
  addTargetOptions(command).action(async (name: string | undefined, options: ConsumersOptions) => {
    await withClient(options, async (client) => {
      if (name !== undefined) {
        const status = await client.consumerStatus(name);
        if (options.json) printJson(consumerJson(status));
        else formatConsumer(status).forEach(print);
        return;
      }
      const statuses = await client.consumerStatuses();
      if (options.json) return printJson({ consumers: statuses.map(consumerJson) });
      if (statuses.length === 0) note('no consumers registered yet');
      for (const status of statuses) formatConsumer(status).forEach(print);
    });
  });
}
