/**
 * The `millrace` command. Every command ends here: its exit code, and on
 * failure one line on stderr.
 */
import { readFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import { EXIT_OK, exitCodeOf, oneLine } from './errors.js';
import { buildProgram } from './program.js';

function packageVersion(): string {
  const url = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}

function describe(error: unknown): string {
  // Commander signals "no command given" as help shown on the error stream.
  if (error instanceof CommanderError && error.code === 'commander.help') {
    return 'millrace: missing command (start, migrate, publish, read, tail, consumers); see millrace --help';
  }
  return oneLine(error);
}

async function main(argv: string[]): Promise<number> {
  // Output cut short by a closed pipe (`millrace read | head`) is not a failure.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT_OK);
  });
  try {
    await buildProgram(packageVersion()).parseAsync(argv);
    return EXIT_OK;
  } catch (error) {
    const code = exitCodeOf(error);
    if (code !== EXIT_OK) process.stderr.write(`${describe(error)}\n`);
    return code;
  }
}

/** Resolves once everything written to the stream so far has been handed to the OS. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

// Exit explicitly: a lingering handle (a pool, a timer) must not keep a finished command
// alive. Flush first: writes to a pipe are asynchronous, and exit would cut them off.
const code = await main(process.argv);
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
