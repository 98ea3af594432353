/**
 * Events from stdin, one JSON object per line, grouped into batches small
 * enough for one request: by count, and by size so large events do not
 * build a body the server refuses.
 */
import { createInterface } from 'node:readline';
import type { EventInput } from '../core/event.js';
import { isJsonObject } from '../core/json.js';
import { UsageError } from './errors.js';

export interface BatchLimits {
  readonly events: number;
  readonly bytes: number;
}

export const DEFAULT_BATCH_LIMITS: BatchLimits = { events: 1000, bytes: 4 * 1024 * 1024 };

function parseLine(line: string, number: number): EventInput {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new UsageError(`stdin line ${number}: not JSON (${(error as Error).message})`);
  }
  if (!isJsonObject(value)) {
    throw new UsageError(`stdin line ${number}: expected {"stream":...,"subject":...,"data":...}`);
  }
  return value as unknown as EventInput;
}

export async function* batchesOf(
  input: NodeJS.ReadableStream,
  limits: BatchLimits = DEFAULT_BATCH_LIMITS,
): AsyncGenerator<EventInput[]> {
  let batch: EventInput[] = [];
  let bytes = 0;
  let number = 0;
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    number += 1;
    if (line.trim() === '') continue;
    if (batch.length > 0 && (batch.length >= limits.events || bytes + line.length > limits.bytes)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(parseLine(line, number));
    bytes += line.length;
  }
  if (batch.length > 0) yield batch;
}
