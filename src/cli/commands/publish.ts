import type { Command } from 'commander';
import type { EventInput, PublishInput, PublishResult } from '../../core/event.js';
import type { JsonObject, JsonValue } from '../../core/json.js';
import { publishedJson } from '../../server/wire/responses.js';
import { delay, integer, isoTime, json, jsonObject } from '../arguments.js';
import type { MillraceClient } from '../client/client.js';
import { UsageError } from '../errors.js';
import { formatPublished, note, print, printJson } from '../output.js';
import { batchesOf } from '../stdin-events.js';
import { addTargetOptions, withClient, type TargetOptions } from '../target.js';

interface PublishOptions extends TargetOptions {
  metadata?: JsonObject;
  expectedVersion?: number;
  deliverAt?: Date;
  delay?: number;
  json?: boolean;
}

function report(events: readonly PublishResult[], options: PublishOptions): void {
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
        // Stdin events carry no deliverAt (a Date is not JSON): every one is in the log.
        const positions = published.map((event) => (event.scheduled ? '' : event.position));
        print(
          `published ${published.length} events at positions ${positions[0]} to ${positions.at(-1)}`,
        );
      }
    }
  } finally {
    // Batches are atomic, but earlier batches stay published when a later one fails.
    if (!options.json) note(`${total} events published to ${client.description}`);
  }
}

function deliveryTime(options: PublishOptions): Date | undefined {
  if (options.deliverAt !== undefined && options.delay !== undefined) {
    throw new UsageError('give --deliver-at or --delay, not both');
  }
  return options.delay === undefined ? options.deliverAt : new Date(Date.now() + options.delay);
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
    .option('--deliver-at <time>', 'deliver at this ISO time (e.g. 2026-01-01T09:00:00Z)', isoTime)
    .option('--delay <duration>', 'deliver after this long: 500ms, 30s, 5m, 2h, 1d', delay)
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
      const deliverAt = deliveryTime(options);
      if (fromStdin && deliverAt !== undefined) {
        throw new UsageError(
          '--deliver-at and --delay apply to one event, not to events from stdin',
        );
      }
      if (deliverAt !== undefined && options.expectedVersion !== undefined) {
        throw new UsageError(
          '--expected-version cannot be combined with --deliver-at or --delay: a delayed event gets its version when it is delivered',
        );
      }
      await withClient(options, async (client) => {
        if (fromStdin) return publishStdin(client, options);
        const event: EventInput = { stream, subject: subject as string, data: data as JsonValue };
        if (options.metadata !== undefined) event.metadata = options.metadata;
        if (options.expectedVersion !== undefined) event.expectedVersion = options.expectedVersion;
        const input: PublishInput =
          deliverAt === undefined
            ? event
            : {
                stream,
                subject: event.subject,
                data: event.data,
                metadata: event.metadata,
                deliverAt,
              };
        report([await client.publish(input)], options);
      });
    },
  );
}
