/**
 * One process's memory on the embedded database, as `millrace start` opens
 * it, through a publish and a drain: process.memoryUsage() at each step and
 * its highest RSS during the drain, as one JSON line on stdout. Run by
 * bench/embedded-start.ts in a process of its own, on the built package (the
 * prepared data directory image is beside the compiled code, not the source).
 *
 *   node --import tsx bench/embedded-drain.ts <dist-dir> <data-dir> <events>
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Library from '../src/index.js';
import { publishBatches } from './scenarios.js';

export interface MemorySample {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

export interface DrainMemory {
  readonly steps: readonly { readonly step: string; readonly memory: MemorySample }[];
  readonly drainPeakRss: number;
  readonly published: number;
  readonly drained: number;
  /** Events handled when the drain made no progress for STALL_MS, if it stopped so. */
  readonly stalledAt?: number;
}

const STALL_MS = 30_000;

function sample(): MemorySample {
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapUsed, external, arrayBuffers };
}

async function main(distDir: string, dataDir: string, events: number): Promise<DrainMemory> {
  const dist = pathToFileURL(join(distDir, 'index.js')).href;
  const { Millrace, pglite } = (await import(dist)) as typeof Library;
  const steps: { step: string; memory: MemorySample }[] = [];
  steps.push({ step: 'before opening', memory: sample() });
  const millrace = await Millrace.open({ provider: pglite({ dataDir }) });
  steps.push({ step: 'open (new data directory)', memory: sample() });
  const published = await publishBatches(millrace, events, 1000, 1);
  steps.push({ step: `${events} events published`, memory: sample() });
  let handled = 0;
  let peak = 0;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const consumer = millrace.consumer({
    name: 'drain',
    sequence: { category: 'order' },
    handler: () => {
      handled++;
      // Sampled as the drain goes, every 500 events.
      if (handled % 500 === 0) peak = Math.max(peak, process.memoryUsage.rss());
      if (handled === events) finish();
    },
  });
  let stalledAt: number | undefined;
  let seen = -1;
  const watchdog = setInterval(() => {
    if (handled === seen) {
      stalledAt = handled;
      finish();
    }
    seen = handled;
  }, STALL_MS);
  const started = performance.now();
  await consumer.start();
  await done;
  clearInterval(watchdog);
  const drained = Math.round(handled / ((performance.now() - started) / 1000));
  steps.push({ step: stalledAt === undefined ? 'drained' : 'stalled', memory: sample() });
  // A stalled consumer may not stop either: the process exits below all the same.
  if (stalledAt === undefined) {
    await consumer.stop();
    await millrace.close();
  }
  return { steps, drainPeakRss: peak, published, drained, stalledAt };
}

const [distDir, dataDir, events] = process.argv.slice(2);
if (distDir === undefined || dataDir === undefined) {
  throw new Error('usage: embedded-drain.ts <dist-dir> <data-dir> <events>');
}
const result = await main(distDir, dataDir, Number(events ?? 20_000));
process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
