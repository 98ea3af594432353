import { Command } from 'commander';
import { bridgeCommand } from './commands/bridge.js';
import { consumersCommand } from './commands/consumers.js';
import { deadLettersCommand } from './commands/dead-letters.js';
import { resetCommand } from './commands/reset.js';
import { keysCommand } from './commands/keys.js';
import { migrateCommand } from './commands/migrate.js';
import { pruneCommand } from './commands/prune.js';
import { publishCommand } from './commands/publish.js';
import { readCommand } from './commands/read.js';
import { scheduledCommand } from './commands/scheduled.js';
import { startCommand } from './commands/start.js';
import { tailCommand } from './commands/tail.js';

export function buildProgram(version: string): Command {
  const program = new Command('millrace')
    .description('durable event streams for competing workers')
    .version(version)
    // Errors are reported once, on one line, by main; help still prints normally.
    .exitOverride()
    .configureOutput({ writeErr: () => undefined })
    .showSuggestionAfterError(true);
  startCommand(program);
  migrateCommand(program);
  publishCommand(program);
  readCommand(program);
  tailCommand(program);
  consumersCommand(program);
  scheduledCommand(program);
  deadLettersCommand(program);
  resetCommand(program);
  pruneCommand(program);
  keysCommand(program);
  bridgeCommand(program);
  return program;
}
