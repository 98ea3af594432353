/**
 * Retention on the command line: `millrace prune`'s rules and `millrace
 * start --retain`'s automatic policy share the value parsers.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { isMillraceError } from '../core/errors.js';
import { parseDuration } from '../core/retention/duration.js';
import type { RetentionOptions } from '../core/retention/retention-policy.js';
import { integer } from './arguments.js';

/** `7d`, `12h`, `30m`, `45s`, `500ms`: kept as written, checked here so a typo fails before anything opens. */
export function duration(text: string): string {
  try {
    parseDuration(text, 'duration');
    return text;
  } catch (error) {
    if (isMillraceError(error)) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

export interface RetainOptions {
  retain?: string;
  retainKeepLast?: number;
  retainEvery?: string;
}

/** `millrace start`'s automatic retention flags. */
export function addRetainOptions(command: Command): Command {
  return command
    .option(
      '--retain <duration>',
      'prune events older than this, automatically (e.g. 30d)',
      duration,
    )
    .option(
      '--retain-keep-last <n>',
      'prune all but the newest n events of each category, automatically',
      integer(0, Number.MAX_SAFE_INTEGER),
    )
    .option('--retain-every <duration>', 'how often to prune automatically (default 1h)', duration);
}

/** The policy the flags ask for; undefined when they ask for none. */
export function retentionOf(options: RetainOptions): RetentionOptions | undefined {
  if (options.retain === undefined && options.retainKeepLast === undefined) {
    if (options.retainEvery !== undefined) {
      throw new InvalidArgumentError('--retain-every needs --retain or --retain-keep-last');
    }
    return undefined;
  }
  return {
    ...(options.retain === undefined ? {} : { olderThan: options.retain }),
    ...(options.retainKeepLast === undefined ? {} : { keepLast: options.retainKeepLast }),
    ...(options.retainEvery === undefined ? {} : { every: options.retainEvery }),
  };
}
