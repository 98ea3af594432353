/**
 * Publishes `item-<n>` events for the member-process tests and benchmark:
 * a paced run that spreads a volume over a duration (so faults land while
 * events flow), and a steady trickle that keeps every partition moving.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Millrace } from '../../src/index.js';
import type { PublishedRecord } from './history-checker.js';
import type { Random } from './random.js';

export interface PacedRun {
  readonly events: number;
  readonly streams: number;
  readonly batchSize: number;
  /** Spread over about this long; 0: as fast as it goes. */
  readonly durationMs: number;
  readonly random: Random;
  readonly onProgress?: (published: number) => void;
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
    const results = await millrace.publishBatch(
      Array.from({ length: size }, () => ({
        stream: `item-${run.random.int(0, run.streams - 1)}`,
        subject: 'item.made',
        data: { batch: b },
      })),
    );
    for (const { id, stream, version } of results) published.push({ id, stream, version });
    run.onProgress?.(published.length);
  }
  return published;
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
