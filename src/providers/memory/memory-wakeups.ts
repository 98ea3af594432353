import type { WakeupListener, WakeupSet, WakeupSource } from '../../core/contracts/wakeups.js';
import type { MemoryData } from './memory-data.js';
import { promised } from '../../core/kit/promised.js';

/**
 * Wake-ups shared by every provider of one factory, as PostgreSQL's NOTIFY
 * reaches every listening process. Listeners are called once the append has
 * returned, never inside it, so a listener can neither see a half-written
 * batch nor fail the publish.
 */
export class MemoryWakeups implements WakeupSource {
  /** This provider's listeners, removed from the shared set on close. */
  private readonly own = new Set<WakeupListener>();

  constructor(
    private readonly data: MemoryData,
    private readonly assertOpen: () => void,
  ) {}

  subscribe(listener: WakeupListener): Promise<() => Promise<void>> {
    return promised(() => {
      this.assertOpen();
      // A wrapper per call, so subscribing one function twice needs two stops.
      const subscribed: WakeupListener = (wakeup) => listener(wakeup);
      this.own.add(subscribed);
      this.data.listeners.add(subscribed);
      return () => {
        this.own.delete(subscribed);
        this.data.listeners.delete(subscribed);
        return Promise.resolve();
      };
    });
  }

  /** Tells every listener of every provider what was appended. */
  publish(wakeups: WakeupSet): void {
    const listeners = [...this.data.listeners];
    if (listeners.length === 0) return;
    const drained = wakeups.drain();
    queueMicrotask(() => {
      for (const wakeup of drained) {
        for (const listener of listeners) listener(wakeup);
      }
    });
  }

  close(): void {
    for (const listener of this.own) this.data.listeners.delete(listener);
    this.own.clear();
  }
}
