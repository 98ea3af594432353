/**
 * Fails the attempts that run past the consumer's ack timeout. It looks
 * every quarter of the timeout (10 ms to 1 s) and only while attempts run,
 * so an idle partition keeps no timer.
 */
import type { Attempt } from './attempt.js';

export class AckWatchdog {
  private timer: NodeJS.Timeout | undefined;

  /** `timeoutMs` 0: no timeout, nothing is watched. */
  constructor(
    private readonly timeoutMs: number,
    private readonly running: ReadonlySet<{ readonly attempt: Attempt }>,
  ) {}

  /** An attempt started: watches the running ones, if not watching already. */
  watch(): void {
    const timeoutMs = this.timeoutMs;
    if (timeoutMs === 0 || this.timer !== undefined) return;
    const every = Math.max(10, Math.min(1000, Math.floor(timeoutMs / 4)));
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const run of this.running) {
        if (now - run.attempt.startedAt >= timeoutMs) run.attempt.timeOut(timeoutMs);
      }
      if (this.running.size === 0) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    }, every);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }
}
