import type { Command } from 'commander';
import type { ReadPage } from '../../core/contracts/log.js';
import { isMillraceError } from '../../core/errors.js';
import { BEGINNING, type Position } from '../../core/position.js';
import { describeSequence, toSequence } from '../../core/sequence.js';
import { eventJson } from '../../server/wire/responses.js';
import { startPoint, type StartPoint } from '../arguments.js';
import type { ClientReadOptions, MillraceClient } from '../client/client.js';
import { formatEvent, note, print, printJson } from '../output.js';
import { addSequenceOptions, sequenceOf, type SequenceOptions } from '../sequence-options.js';
import { addTargetOptions, withClient, type TargetOptions } from '../target.js';

interface TailOptions extends TargetOptions, SequenceOptions {
  from: StartPoint;
  json?: boolean;
}

/** Below the server's 30 s cap, so proxies with a 30 s idle timeout stay quiet. */
const WAIT_MS = 25_000;
const RETRY_MS = 1000;

async function startingPoint(client: MillraceClient, from: StartPoint): Promise<Position> {
  if (from === 'beginning') return BEGINNING;
  if (from === 'end') return client.end();
  return from.position;
}

/** Waits for the next page; a retriable failure (server restarting) is retried, not fatal. */
async function nextPage(
  client: MillraceClient,
  options: ClientReadOptions,
  signal: AbortSignal,
): Promise<ReadPage | undefined> {
  for (let warned = false; ;) {
    try {
      return await client.waitForEvents(options, WAIT_MS, signal);
    } catch (error) {
      if (signal.aborted) return undefined;
      if (!isMillraceError(error) || !error.retriable) throw error;
      if (!warned) note(`${error.message}; retrying every ${RETRY_MS / 1000} s`);
      warned = true;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
}

async function follow(client: MillraceClient, options: TailOptions, signal: AbortSignal) {
  const sequence = sequenceOf(options);
  let after = await startingPoint(client, options.from);
  if (!options.json) {
    note(
      `tailing ${describeSequence(toSequence(sequence))} on ${client.description} after position ${after}; Ctrl-C stops`,
    );
  }
  while (!signal.aborted) {
    const page = await nextPage(
      client,
      { sequence, after, subjects: options.subjects, limit: 1000 },
      signal,
    );
    if (page === undefined) return;
    for (const event of page.events) {
      if (options.json) printJson(eventJson(event));
      else print(formatEvent(event));
    }
    after = page.next;
  }
}

export function tailCommand(program: Command): void {
  const command = program
    .command('tail')
    .description('follow events live, printing each as it arrives, until Ctrl-C')
    .option('--from <where>', 'beginning, end or a position', startPoint, 'end' as StartPoint)
    .option('--json', 'print one JSON object per event');
  addSequenceOptions(command);
  addTargetOptions(command).action(async (options: TailOptions) => {
    sequenceOf(options);
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await withClient(options, (client) => follow(client, options, stop.signal));
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });
}
