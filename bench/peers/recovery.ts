/**
 * The recovery scenario: two worker processes handle single jobs enqueued at
 * a steady rate; one of them dies with work in hand (`kill -9` of itself,
 * after its last handlings were reported, so the run knows what it
 * finished). Recovery is the time from its exit to the handling, by the
 * survivor, of the last job that had been enqueued before it: the work the
 * dead process held, and for millrace the partitions it owned, moving on
 * with each system's defaults. Enqueuing goes on meanwhile; a system that
 * has not recovered within the cap is reported as such.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { progress } from '../stats.js';
import { enqueueSteadily, withRun } from './scenarios.js';
import type { SystemKind } from './system.js';
import { Tally } from './tally.js';

/** Jobs handled before the kill: both workers are at work by then. */
const WARM_SECONDS = 2;
const STALL_MS = 60_000;

export interface RecoveryResult {
  /** From the dead process's exit to the last job enqueued before it being handled; undefined past the cap. */
  readonly recoveredMs: number | undefined;
  /** Jobs enqueued before the exit and not handled at it. */
  readonly stranded: number;
  readonly duplicates: number;
}

export interface RecoveryOptions {
  readonly rate: number;
  /** Handlers at once over both processes. */
  readonly concurrency: number;
  readonly capMs: number;
}

/** Resolves once `done()` holds; rejects once `progressed()` has not changed for `stallMs`. */
async function until(done: () => boolean, progressed: () => number, stallMs: number) {
  let last = progressed();
  let lastAt = performance.now();
  while (!done()) {
    await sleep(10);
    if (progressed() !== last) {
      last = progressed();
      lastAt = performance.now();
    } else if (performance.now() - lastAt > stallMs) {
      throw new Error(`stalled: nothing handled for ${Math.round(stallMs / 1000)} s`);
    }
  }
}

export async function recoverAfterKill(
  kind: SystemKind,
  options: RecoveryOptions,
): Promise<RecoveryResult> {
  if (kind.embedded) throw new Error('one process only');
  const capacity = Math.ceil(options.rate * (WARM_SECONDS + options.capMs / 1000 + 60));
  const tally = new Tally(capacity);
  const sentAt = new Float64Array(capacity);
  let next = 0;
  let pending: Set<number> | undefined;
  let lastHandledAt = Number.NEGATIVE_INFINITY;
  let recovered: () => void = () => undefined;
  tally.onRecord = (n, latencyMs) => {
    if (!pending?.delete(n)) return;
    if (latencyMs !== undefined)
      lastHandledAt = Math.max(lastHandledAt, (sentAt[n] ?? 0) + latencyMs);
    if (pending.size === 0) recovered();
  };
  const runOptions = {
    processes: 2,
    concurrency: Math.max(1, Math.floor(options.concurrency / 2)),
    handler: 'noop',
    tally,
  } as const;
  return withRun(kind, runOptions, async (run) => {
    await run.go();
    let stopped = false;
    const enqueuing = enqueueSteadily(run, {
      rate: options.rate,
      total: capacity,
      stop: () => stopped,
      onStart: (n, at) => {
        sentAt[n] = at;
        next = n + 1;
      },
    });
    try {
      await until(
        () => tally.distinct >= options.rate * WARM_SECONDS,
        () => tally.distinct,
        STALL_MS,
      );
      progress(`${kind.name} recovery: killing a worker process`);
      const exitedAt = await run.kill(0);
      pending = new Set(Array.from({ length: next }, (_, n) => n).filter((n) => !tally.has(n)));
      const stranded = pending.size;
      const done =
        pending.size === 0 || (await recoveredWithin(options.capMs, (r) => (recovered = r)));
      stopped = true;
      const enqueued = await enqueuing;
      if (done) {
        // Every job after it, too: nothing lost on the way.
        await until(
          () => tally.distinct === enqueued,
          () => tally.distinct,
          STALL_MS,
        );
      }
      return {
        recoveredMs: done ? Math.max(0, lastHandledAt - exitedAt) : undefined,
        stranded,
        duplicates: tally.duplicates,
      };
    } finally {
      stopped = true;
      await enqueuing;
    }
  });
}

/** True once `listen`'s callback is called, false after `capMs`. */
function recoveredWithin(capMs: number, listen: (resolve: () => void) => void): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const cap = setTimeout(() => resolve(false), capMs);
    listen(() => {
      clearTimeout(cap);
      resolve(true);
    });
  });
}
