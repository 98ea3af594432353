import type { Command } from 'commander';
import type { EventInput, PublishedEvent } from '../../core/event.js';
import type { JsonObject, JsonValue } from '../../core/json.js';
import { publishedJson } from '../../server/wire/responses.js';
import { integer, json, jsonObject } from '../arguments.js';
import type { MillraceClient } from '../client/client.js';
import { UsageError } from '../errors.js';
import { formatPublished, note, print, printJson } from '../output.js';
import { batchesOf } from '../stdin-events.js';
import { addTargetOptions, withClient, type TargetOptions } from '../target.js';

interface PublishOptions extends TargetOptions {
  metadata?: JsonObject;
  expectedVersion?: number;
  json?: boolean;
}

function report(events: readonly PublishedEvent[], options: PublishOptions): void {
  for (const event of events) {
    if (options.json) printJson(publishedJson(event));
    else print(formatPublished(event));
  }
}

async function publishStdin(client: MillraceClient, options: PublishOptions): Promise<void> {
  if (process.stdin.isTTY) note('reading events from stdin, one JSON object per line; Ctrl-D ends');
  let total = 0;
  try {
    for await (const batch of batchesOf(process.stdin)) {
      const published = await client.publishBatch(batch);
      total += published.length;
      if (options.json) report(published, options);
      else if (published.length > 0) {
        const first = published[0] as PublishedEvent;
        const last = published.at(-1) as PublishedEvent;
        print(
          `published ${published.length} events at positions ${first.position} to ${last.position}`,
        );
      }
    }
  } finally {
    // Batches are atomic, but earlier batches stay published when a later one fails.
    if (!options.json) note(`${total} events published to ${client.description}`);
  }
}

export function publishCommand(program: Command): void {
  const command = program
    .command('publish')
    .description('publish one event, or JSON lines from stdin ({"stream","subject","data"} each)')
    .argument('[stream]', 'e.g. order-123 (omit, or "-", to read events from stdin)')
    .argument('[subject]', 'e.g. order.created')
    .argument('[data]', 'the event data as JSON', json)
    .option('--metadata <json>', 'metadata as a JSON object', jsonObject)
    .option(
      '--expected-version <n>',
      'the version the stream must be at (-1: no events yet)',
      integer(-1, Number.MAX_SAFE_INTEGER),
    )
    .option('--json', 'print JSON lines');
  addTargetOptions(command).action(
    async (
      stream: string | undefined,
      subject: string | undefined,
      data: JsonValue | undefined,
      options: PublishOptions,
    ) => {
      const fromStdin = stream === undefined || stream === '-';
      if (
        fromStdin &&
        (subject !== undefined ||
          options.metadata !== undefined ||
          options.expectedVersion !== undefined)
      ) {
        throw new UsageError(
          'events from stdin carry their own subject, metadata and expectedVersion',
        );
      }
      if (!fromStdin && (subject === undefined || data === undefined)) {
        throw new UsageError('publish needs <stream> <subject> <data>, or events on stdin');
      }
      await withClient(options, async (client) => {
        if (fromStdin) return publishStdin(client, options);
        const event: EventInput = { stream, subject: subject as string, data: data as JsonValue };
        if (options.metadata !== undefined) event.metadata = options.metadata;
        if (options.expectedVersion !== undefined) event.expectedVersion = options.expectedVersion;
        report([await client.publish(event)], options);
      });
    },
  );
}
