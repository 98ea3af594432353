import {
  ANY_CATEGORY,
  type Wakeup,
  type WakeupListener,
  type WakeupSource,
} from '../../core/contracts/wakeups.js';
import type { Database } from './database.js';
import { translated } from './errors.js';
import { decodeWakeup } from './wakeup-payload.js';

/**
 * One LISTEN connection per provider, shared by every consumer in the
 * process; publishers NOTIFY with the category when their transaction
 * commits. Publishes through this same provider wake its listeners at once,
 * in process, without waiting for the notification's round trip, and skip
 * its echo. After a reconnect every listener is woken, since notifications
 * sent while disconnected are lost.
 */
export class PgWakeups implements WakeupSource {
  private readonly listeners = new Set<WakeupListener>();
  private stopListening: Promise<() => Promise<void>> | undefined;

  constructor(
    private readonly db: Database,
    private readonly channel: string,
    private readonly origin: string,
  ) {}

  /** Wakes this process's listeners for events this provider just committed. */
  local(wakeups: readonly Wakeup[]): void {
    for (const wakeup of wakeups) this.emit(wakeup);
  }

  async subscribe(listener: WakeupListener): Promise<() => Promise<void>> {
    this.listeners.add(listener);
    this.stopListening ??= translated(() =>
      this.db.listen(
        this.channel,
        (payload) => {
          const { wakeup, origin } = decodeWakeup(payload);
          if (origin !== this.origin) this.emit(wakeup);
        },
        () => this.emit({ category: ANY_CATEGORY }),
      ),
    );
    try {
      await this.stopListening;
    } catch (error) {
      this.listeners.delete(listener);
      this.stopListening = undefined;
      throw error;
    }
    return async () => {
      this.listeners.delete(listener);
      if (this.listeners.size > 0 || this.stopListening === undefined) return;
      const stopping = this.stopListening;
      this.stopListening = undefined;
      await (
        await stopping
      )();
    };
  }

  private emit(wakeup: Wakeup): void {
    for (const listener of this.listeners) listener(wakeup);
  }
}
