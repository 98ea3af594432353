/**
 * Fans the provider's wake-ups out to the partition workers of one process,
 * so a process holds one LISTEN connection however many consumers it runs.
 */
import { ANY_CATEGORY, type Wakeup, type WakeupSource } from '../contracts/wakeups.js';
import { categoryOf } from '../names.js';
import type { EventSequence } from '../sequence.js';

type Waker = (wakeup: Wakeup) => void;

export class WakeupHub {
  private readonly wakers = new Map<Waker, EventSequence>();
  private stop: Promise<() => Promise<void>> | undefined;

  constructor(private readonly source: WakeupSource | undefined) {}

  /** Calls `wake` whenever events may have arrived for `sequence`. */
  async register(sequence: EventSequence, wake: Waker): Promise<() => Promise<void>> {
    this.wakers.set(wake, sequence);
    if (this.source !== undefined) {
      this.stop ??= this.source.subscribe((wakeup) => this.dispatch(wakeup));
      try {
        await this.stop;
      } catch (error) {
        this.wakers.delete(wake);
        this.stop = undefined;
        throw error;
      }
    }
    return async () => {
      this.wakers.delete(wake);
      if (this.wakers.size === 0 && this.stop !== undefined) {
        const stopping = this.stop;
        this.stop = undefined;
        await (
          await stopping
        )();
      }
    };
  }

  private dispatch(wakeup: Wakeup): void {
    for (const [wake, sequence] of this.wakers) {
      if (wakeup.category === ANY_CATEGORY || concerns(sequence, wakeup.category)) wake(wakeup);
    }
  }
}

/** Could an append to `category` bring events into the sequence? */
function concerns(sequence: EventSequence, category: string): boolean {
  if (sequence.kind === 'log') return true;
  const own = sequence.kind === 'category' ? sequence.category : categoryOf(sequence.stream);
  return own === category;
}
