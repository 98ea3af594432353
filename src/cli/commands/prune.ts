import type { Command } from 'commander';
import type { PruneResult } from '../../core/contracts/retention.js';
import { describeSequence } from '../../core/sequence.js';
import { pruneJson } from '../../server/wire/prune.js';
import { integer } from '../arguments.js';
import { note, print, printJson } from '../output.js';
import { duration } from '../retention-options.js';
import { addTargetOptions, withClient, type TargetOptions } from '../target.js';

interface PruneCommandOptions extends TargetOptions {
  category?: string;
  olderThan?: string;
  keepLast?: number;
  force?: boolean;
  json?: boolean;
}

function printResult(result: PruneResult): void {
  for (const c of result.categories) {
    print(`${c.category}  deleted ${c.deleted}  kept from position ${c.prunedBefore}`);
  }
  print(`deleted ${result.deleted} events`);
  for (const hold of result.heldBy) {
    note(
      `held back by consumer ${hold.consumer} (${describeSequence(hold.sequence)}), ` +
        `partition ${hold.partition} at position ${hold.position}: it has not handled later events ` +
        '(--force prunes them anyway)',
    );
  }
}

export function pruneCommand(program: Command): void {
  const command = program
    .command('prune')
    .description(
      'delete old events, never past a consumer that has not handled them (unless --force)',
    )
    .option('--category <name>', 'prune one category (default: each category)')
    .option('--older-than <duration>', 'delete events older than this: 30m, 12h, 7d', duration)
    .option(
      '--keep-last <n>',
      'keep the newest n events of each category',
      integer(0, Number.MAX_SAFE_INTEGER),
    )
    .option('--force', 'prune past consumers that have not handled the events')
    .option('--json', 'print JSON: { deleted, prunedBefore, categories, heldBy }');
  addTargetOptions(command).action(async (options: PruneCommandOptions) => {
    await withClient(options, async (client) => {
      const result = await client.prune({
        category: options.category,
        olderThan: options.olderThan,
        keepLast: options.keepLast,
        force: options.force,
      });
      if (options.json) printJson(pruneJson(result));
      else printResult(result);
    });
  });
}
