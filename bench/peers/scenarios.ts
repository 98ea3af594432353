/**
 * The peer scenarios, the same for every system: drain a bulk-enqueued
 * backlog (no-op or 5 ms handler, one or more worker processes), and
 * enqueue-to-handler latency at a steady rate of single enqueues.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { percentile, perSecond, progress } from '../stats.js';
import type { HandlerKind } from './handlers.js';
import type { Job, SystemKind } from './system.js';
import { machineMs, Tally } from './tally.js';
import { openRun, type Run, type RunOptions } from './workers.js';

/** No job handled for this long fails the scenario: a stuck system is a finding, not a hang. */
const STALL_MS = 60_000;
const BULK = 1000;

/**
 * A fresh place with the workers of one run open on it (not yet started);
 * `body` gets the run, and everything is stopped and removed afterwards,
 * whether it succeeds or not.
 */
export async function withRun<T>(
  kind: SystemKind,
  options: RunOptions,
  body: (run: Run) => Promise<T>,
): Promise<T> {
  const place = await kind.create();
  try {
    const run = await openRun(kind, place, options);
    try {
      const result = await body(run);
      await run.stop();
      return result;
    } catch (error) {
      await run.stop().catch(() => undefined);
      throw error;
    }
  } finally {
    await kind.destroy(place);
  }
}

export interface DrainResult {
  readonly enqueuePerSecond: number;
  readonly processedPerSecond: number;
  readonly duplicates: number;
}

export interface DrainOptions {
  readonly jobs: number;
  /** Handlers at once over all processes, split evenly between them. */
  readonly concurrency: number;
  readonly processes: number;
  readonly handler: HandlerKind;
  readonly label: string;
}

/**
 * Enqueues `jobs` in bulk (calls of 1,000) with no worker running, then
 * starts the workers and times them until every job was handled.
 */
export async function drainBacklog(kind: SystemKind, options: DrainOptions): Promise<DrainResult> {
  const tally = new Tally(options.jobs);
  const runOptions = {
    processes: options.processes,
    concurrency: Math.max(1, Math.floor(options.concurrency / options.processes)),
    handler: options.handler,
    tally,
  };
  const { enqueuePerSecond, processedPerSecond } = await withRun(kind, runOptions, async (run) => {
    let started = performance.now();
    for (let first = 0; first < options.jobs; first += BULK) {
      const jobs: Job[] = Array.from({ length: Math.min(BULK, options.jobs - first) }, (_, i) => ({
        n: first + i,
      }));
      await run.enqueuer.enqueueBulk(jobs);
      if (first % (BULK * 10) === 0) {
        progress(`${kind.name} ${options.label}: enqueued ${first}/${options.jobs}`);
      }
    }
    const enqueued = perSecond(options.jobs, performance.now() - started);
    started = performance.now();
    await run.go();
    await tally.untilComplete(STALL_MS, () =>
      progress(`${kind.name} ${options.label}: handled ${tally.distinct}/${options.jobs}`),
    );
    return {
      enqueuePerSecond: enqueued,
      processedPerSecond: perSecond(options.jobs, performance.now() - started),
    };
  });
  // Counted after the workers stopped, so late duplicates count too.
  return { enqueuePerSecond, processedPerSecond, duplicates: tally.duplicates };
}

export interface LatencyResult {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly handled: number;
  readonly duplicates: number;
}

/**
 * Starts the workers, then enqueues single jobs at a steady `rate` for
 * `seconds` (each enqueue started on schedule, not after the last one
 * finished), each carrying the time just before its enqueue call; the
 * latency runs from there to the handler.
 */
export async function steadyLatency(
  kind: SystemKind,
  options: { rate: number; seconds: number; concurrency: number },
): Promise<LatencyResult> {
  const total = options.rate * options.seconds;
  const tally = new Tally(total);
  const runOptions = {
    processes: 1,
    concurrency: options.concurrency,
    handler: 'noop',
    tally,
  } as const;
  await withRun(kind, runOptions, async (run) => {
    await run.go();
    await sleep(1000);
    await enqueueSteadily(run, {
      rate: options.rate,
      total,
      onProgress: (n) => progress(`${kind.name} latency: enqueued ${n}/${total}`),
    });
    await tally.untilComplete(STALL_MS);
  });
  const sorted = [...tally.latencies].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
    handled: tally.distinct,
    duplicates: tally.duplicates,
  };
}

export interface SteadyOptions {
  readonly rate: number;
  readonly total: number;
  /** Asked before each enqueue: true ends the enqueuing early. */
  readonly stop?: () => boolean;
  /** Told of each enqueue as it starts, with the time the job carries. */
  readonly onStart?: (n: number, sentAt: number) => void;
  /** Told once a second of how many were enqueued. */
  readonly onProgress?: (n: number) => void;
}

/**
 * Enqueues single jobs numbered from 0 at a steady `rate` (each enqueue
 * started on schedule, not after the last one finished), each carrying the
 * time just before its enqueue call; resolves with how many were enqueued,
 * once every enqueue has finished.
 */
export async function enqueueSteadily(run: Run, options: SteadyOptions): Promise<number> {
  const interval = 1000 / options.rate;
  const started = performance.now();
  const inflight = new Set<Promise<void>>();
  let n = 0;
  for (; n < options.total && !options.stop?.(); n++) {
    const wait = started + n * interval - performance.now();
    if (wait > 1) await sleep(wait);
    const sentAt = machineMs();
    options.onStart?.(n, sentAt);
    const enqueue = run.enqueuer.enqueue({ n, sentAt });
    inflight.add(enqueue);
    void enqueue.finally(() => inflight.delete(enqueue));
    if (n % options.rate === 0) options.onProgress?.(n);
  }
  await Promise.all(inflight);
  return n;
}
