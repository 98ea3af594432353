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
    if (this.distinct === this.expected) this.waiter?.();
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

/** Milliseconds since the epoch with sub-millisecond precision, comparable across processes. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** How long ago a job that carries its enqueue time was enqueued. */
export function latencyOf(job: Job): number | undefined {
  return job.sentAt === undefined ? undefined : epochMs() - job.sentAt;
}
