/**
 * The `millrace` command. Every command ends here: its exit code, and on
 * failure one line on stderr.
 */
// First: V8's flags must be set before any WebAssembly is compiled.
import './wasm-tiering.js';
import { CommanderError, type Command } from 'commander';
import { EXIT_OK, UsageError, exitCodeOf, oneLine } from './errors.js';
import { packageVersion } from '../version.js';
import { buildProgram } from './program.js';

const commandNames = (program: Command) => program.commands.map((c) => c.name()).join(', ');

function describe(error: unknown, program: Command): string {
  // Commander signals "no command given" as help shown on the error stream.
  if (error instanceof CommanderError && error.code === 'commander.help') {
    return `millrace: missing command (${commandNames(program)}); see millrace --help`;
  }
  return oneLine(error);
}

/**
 * Commander answers `millrace <unknown> --help` with the main help and exit
 * 0, as if the command existed: a mistyped command must fail whatever follows it.
 */
function assertKnownCommand(program: Command, argv: readonly string[]): void {
  const word = argv[2];
  if (word === undefined || word.startsWith('-') || word === 'help') return;
  if (program.commands.some((c) => c.name() === word || c.aliases().includes(word))) return;
  throw new UsageError(
    `unknown command '${word}' (commands: ${commandNames(program)}); see millrace --help`,
  );
}

async function main(argv: string[]): Promise<number> {
  // Output cut short by a closed pipe (`millrace read | head`) is not a failure.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT_OK);
  });
  const program = buildProgram(packageVersion());
  try {
    assertKnownCommand(program, argv);
    await program.parseAsync(argv);
    return EXIT_OK;
  } catch (error) {
    const code = exitCodeOf(error);
    if (code !== EXIT_OK) process.stderr.write(`${describe(error, program)}\n`);
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
