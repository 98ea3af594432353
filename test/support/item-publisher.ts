/**
 * Publishes `item-<n>` events for the member-process tests and benchmark:
 * a paced run that spreads a volume over a duration (so faults land while
 * events flow), and a steady trickle that keeps every partition moving.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { v7 as uuidv7 } from 'uuid';
import { ConflictError, type EventInput, type Millrace } from '../../src/index.js';
import type { PublishedRecord } from './chaos/history-checker.js';
import type { Random } from './random.js';

export interface PacedRun {
  readonly events: number;
  readonly streams: number;
  readonly batchSize: number;
  /** Spread over about this long; 0: as fast as it goes. */
  readonly durationMs: number;
  readonly random: Random;
  readonly onProgress?: (published: number) => void;
  /**
   * Where a failed publish is tried again (the database restarting): the
   * events as stored, given their ids, if a batch turns out to have gone in
   * before its answer was lost. Without it a failed publish fails the run.
   */
  readonly stored?: (ids: readonly string[]) => Promise<PublishedRecord[]>;
}

/** Publishes in batches to random streams; every event published, in publish order. */
export async function publishPaced(millrace: Millrace, run: PacedRun): Promise<PublishedRecord[]> {
  const published: PublishedRecord[] = [];
  const batches = Math.ceil(run.events / run.batchSize);
  const started = Date.now();
  for (let b = 0; b < batches; b++) {
    const due = started + (run.durationMs * b) / batches;
    if (due > Date.now()) await sleep(due - Date.now());
    const size = Math.min(run.batchSize, run.events - b * run.batchSize);
    const batch = Array.from({ length: size }, () => ({
      // Chosen here, so a batch tried again after a lost answer cannot go in twice.
      id: uuidv7(),
      stream: `item-${run.random.int(0, run.streams - 1)}`,
      subject: 'item.made',
      data: { batch: b },
    }));
    published.push(...(await publishSurely(millrace, batch, run.stored)));
    run.onProgress?.(published.length);
  }
  return published;
}

/** Publishes a batch, trying again while the database is away; `duplicate_id` means it went in. */
async function publishSurely(
  millrace: Millrace,
  batch: EventInput[],
  stored: PacedRun['stored'],
): Promise<PublishedRecord[]> {
  for (let attempt = 0; ; attempt++) {
    try {
      const results = await millrace.publishBatch(batch);
      return results.map(({ id, stream, version }) => ({ id, stream, version }));
    } catch (error) {
      if (stored === undefined) throw error;
      if (error instanceof ConflictError && error.reason === 'duplicate_id') {
        return stored(batch.map((e) => e.id as string));
      }
      if (attempt >= 600) throw error;
      await sleep(100);
    }
  }
}

/** Publishes `batchSize` events over `streams` streams every `everyMs` until stopped; resolves with the count. */
export function publishSteadily(
  millrace: Millrace,
  { streams, batchSize, everyMs }: { streams: number; batchSize: number; everyMs: number },
): { stop(): Promise<number> } {
  let running = true;
  let next = 0;
  const loop = (async () => {
    while (running) {
      await millrace.publishBatch(
        Array.from({ length: batchSize }, () => ({
          stream: `item-${next++ % streams}`,
          subject: 'item.made',
          data: {},
        })),
      );
      await sleep(everyMs);
    }
    return next;
  })();
  return {
    stop() {
      running = false;
      return loop;
    },
  };
}
