import type { Job } from './system.js';

/**
 * Counts what the workers handled: every job number once, the duplicates
 * beyond that, and the enqueue-to-handler latency of jobs that carried
 * their enqueue time. The run is complete once every number was seen.
 */
export class Tally {
  private readonly seen: Uint8Array;
  private waiter: (() => void) | undefined;
  distinct = 0;
  duplicates = 0;
  readonly latencies: number[] = [];
  lastProgressAt = performance.now();
  /** Told of every handling, first or not, as it is counted. */
  onRecord: ((n: number, latencyMs: number | undefined) => void) | undefined;

  constructor(readonly expected: number) {
    this.seen = new Uint8Array(expected);
  }

  record(n: number, latencyMs: number | undefined): void {
    if (!Number.isInteger(n) || n < 0 || n >= this.expected) {
      throw new Error(`a worker handled job ${n}, which this run never enqueued`);
    }
    if (this.seen[n] === 1) this.duplicates++;
    else {
      this.seen[n] = 1;
      this.distinct++;
      this.lastProgressAt = performance.now();
    }
    if (latencyMs !== undefined) this.latencies.push(latencyMs);
    this.onRecord?.(n, latencyMs);
    if (this.distinct === this.expected) this.waiter?.();
  }

  /** Whether job `n` was handled. */
  has(n: number): boolean {
    return this.seen[n] === 1;
  }

  get complete(): boolean {
    return this.distinct === this.expected;
  }

  /**
   * Resolves once every job was handled; rejects when none was handled for
   * `stallMs`, naming how far it got, so a stuck system fails the run loudly.
   */
  async untilComplete(stallMs: number, onTick: () => void = () => undefined): Promise<void> {
    this.lastProgressAt = performance.now();
    while (!this.complete) {
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 250);
      });
      this.waiter = undefined;
      onTick();
      if (!this.complete && performance.now() - this.lastProgressAt > stallMs) {
        throw new Error(
          `stalled: ${this.distinct} of ${this.expected} jobs handled, none for ${Math.round(stallMs / 1000)} s`,
        );
      }
    }
  }
}

/**
 * Milliseconds on the machine's monotonic clock (Linux's CLOCK_MONOTONIC,
 * one clock for every process), with sub-millisecond precision: comparable
 * between the benchmark's processes. A wall-clock reading taken at process
 * start plus `performance.now()` is not: the wall clock is slewed and
 * stepped, and processes started at different times then disagree, by
 * 645 ms in one run here.
 */
export function machineMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** How long ago a job that carries its enqueue time was enqueued. */
export function latencyOf(job: Job): number | undefined {
  return job.sentAt === undefined ? undefined : machineMs() - job.sentAt;
}
