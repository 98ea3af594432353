/**
 * Fetches long-polling one member: each waits until a delivery is parked,
 * the member ends, its time is up, or its request goes away.
 */
export class FetchWaiters {
  private readonly waiting = new Set<() => void>();

  wait(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.waiting.add(done);
    });
  }

  get size(): number {
    return this.waiting.size;
  }

  /** Something changed: every waiting fetch looks again. */
  wake(): void {
    for (const done of [...this.waiting]) done();
  }
}
