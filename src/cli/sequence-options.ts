import { Option, type Command } from 'commander';
import { toSequence } from '../core/sequence.js';
import type { SequenceInput } from '../core/sequence.js';
import { subjectPatterns } from './arguments.js';

export interface SequenceOptions {
  category?: string;
  stream?: string;
  subjects?: string[];
}

/** `--category c | --stream s` and `--subjects a,b`: what to read. */
export function addSequenceOptions(command: Command): Command {
  return command
    .addOption(new Option('--category <name>', 'read one category').conflicts('stream'))
    .addOption(new Option('--stream <name>', 'read one stream'))
    .addOption(
      new Option(
        '--subjects <patterns>',
        'subject patterns, comma-separated (order.*,order.>)',
      ).argParser(subjectPatterns),
    );
}

/** Checked here so a bad name fails before anything is opened. */
export function sequenceOf(options: SequenceOptions): SequenceInput {
  if (options.category !== undefined) return toSequence({ category: options.category });
  if (options.stream !== undefined) return toSequence({ stream: options.stream });
  return 'log';
}
