/**
 * Tells listening consumers in other processes that events arrived, after
 * the publishing transaction committed. Notifications coalesce: while one is
 * in flight the next gather, so a busy publisher sends few. A lost
 * notification costs only latency: consumers also poll.
 */
import { ANY_CATEGORY, WakeupSet, type Wakeup } from '../../core/contracts/wakeups.js';
import type { SqlExecutor } from './database.js';
import type { QueryBook } from './sql.js';
import { encodeWakeup } from './wakeup-payload.js';

/** Past this many categories at once, one "any" notification wakes everyone instead. */
const MAX_CATEGORIES = 16;

export class PgNotifier {
  private readonly pending = new WakeupSet();
  private running: Promise<void> | undefined;

  constructor(
    private readonly db: SqlExecutor,
    private readonly book: QueryBook,
    /** Marks notifications sent after our own commits, which our own listeners skip. */
    readonly origin: string,
  ) {}

  /** Sends soon, without waiting. */
  wake(wakeups: readonly Wakeup[]): void {
    for (const wakeup of wakeups) {
      if (wakeup.streamHashes === undefined) this.pending.add(wakeup.category);
      else for (const hash of wakeup.streamHashes) this.pending.add(wakeup.category, hash);
    }
    this.running ??= this.drain();
  }

  /** Sends inside the caller's transaction, so every listener, ours too, hears at its commit. */
  async wakeWithin(transaction: SqlExecutor, wakeups: readonly Wakeup[]): Promise<void> {
    await transaction.query(this.book.get('notify_categories'), [payloads(wakeups)]);
  }

  /** Resolves once everything asked for was sent (or failed). */
  async flush(): Promise<void> {
    await this.running;
  }

  private async drain(): Promise<void> {
    while (this.pending.size > 0) {
      const sending = payloads(this.pending.drain(), this.origin);
      await this.db.query(this.book.get('notify_categories'), [sending]).catch(() => undefined);
    }
    this.running = undefined;
  }
}

function payloads(wakeups: readonly Wakeup[], origin?: string): string[] {
  const sent = wakeups.length > MAX_CATEGORIES ? [{ category: ANY_CATEGORY }] : wakeups;
  return sent.map((wakeup) => encodeWakeup(wakeup, origin));
}
