/**
 * How the CLI fails: one line on stderr, exit code 2 for bad arguments or
 * bad input (fix the command and run it again), 1 for everything else.
 */
import { CommanderError } from 'commander';
import { isMillraceError } from '../core/errors.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** The command line or its input is wrong. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

// Validation errors that are about the machine, not what was typed.
const ENVIRONMENT_REASONS = new Set(['data_dir_locked', 'schema_too_new']);

export function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  if (error instanceof UsageError) return EXIT_USAGE;
  if (isMillraceError(error) && error.code === 'validation') {
    return ENVIRONMENT_REASONS.has(error.reason ?? '') ? EXIT_FAILURE : EXIT_USAGE;
  }
  // A missing, wrong or too narrow --api-key is what was typed, too.
  if (isMillraceError(error) && (error.code === 'unauthorized' || error.code === 'forbidden')) {
    return EXIT_USAGE;
  }
  return EXIT_FAILURE;
}

/** The error as one line, for stderr. */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const text = message
    .replace(/^error: /, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' ');
  return `millrace: ${text}`;
}
