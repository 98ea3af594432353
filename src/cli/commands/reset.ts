import type { Command } from 'commander';
import { resetTarget } from '../arguments.js';
import { print, printJson } from '../output.js';
import { addTargetOptions, withClient, type TargetOptions } from '../target.js';

interface ResetOptions extends TargetOptions {
  to: ReturnType<typeof resetTarget>;
  json?: boolean;
}

export function resetCommand(program: Command): void {
  const command = program
    .command('reset')
    .description("move a consumer's positions (replay or skip ahead); safe while its members run")
    .argument('<consumer>')
    .requiredOption('--to <where>', 'beginning, end, a position or an ISO time', resetTarget)
    .option('--json', 'print JSON');
  addTargetOptions(command).action(async (consumer: string, options: ResetOptions) => {
    await withClient(options, async (client) => {
      await client.resetConsumer(consumer, options.to);
      if (options.json) printJson({ consumer, reset: true });
      else print(`reset ${consumer}: its members start again from the new position`);
    });
  });
}
