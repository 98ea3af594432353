/**
 * Moves delayed events into the log when they are due. Every Millrace
 * instance runs one, but only the leader of the scheduler's own lease
 * delivers, so each event is appended once; the store also refuses a
 * delivery under a leadership that is no longer current.
 *
 * The leader never polls on a short interval: it asks when the earliest
 * waiting event is due and sleeps exactly that long. A newly scheduled event
 * that is due earlier wakes it at once (the store's `onScheduled`, a NOTIFY
 * on PostgreSQL), so lateness is a timer's precision plus one delivery
 * transaction. `maxSleepMs` only bounds what a lost notification can cost.
 */
import type { Leadership } from '../contracts/elector.js';
import type { DelayedEvents } from '../contracts/scheduled.js';
import { FencedError } from '../errors.js';
import { errorFields, type Logger } from '../logger.js';

export interface SchedulerOptions {
  /** Events appended per delivery transaction. @defaultValue 500 */
  readonly batchSize?: number;
  /** The longest sleep without looking, in case a wake-up was lost. @defaultValue 5000 */
  readonly maxSleepMs?: number;
  /** The pause after a failed delivery. @defaultValue 1000 */
  readonly retryMs?: number;
}

export class DelayedEventScheduler {
  private leadership: Leadership | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires (ms since the epoch); undefined: none armed. */
  private wakeAt: number | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private unsubscribe: (() => Promise<void>) | undefined;
  private readonly batchSize: number;
  private readonly maxSleepMs: number;
  private readonly retryMs: number;

  constructor(
    private readonly delayed: DelayedEvents,
    private readonly logger: Logger,
    options: SchedulerOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.maxSleepMs = options.maxSleepMs ?? 5000;
    this.retryMs = options.retryMs ?? 1000;
  }

  async start(): Promise<void> {
    this.unsubscribe = await this.delayed.store.onScheduled((deliverAt) =>
      this.scheduled(deliverAt),
    );
    await this.delayed.elector.start((leadership) => {
      this.leadership = leadership;
      if (leadership === undefined) this.disarm();
      else this.kick();
    });
  }

  /** Stops delivering and resigns, so another instance takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.disarm();
    await this.running;
    await this.unsubscribe?.().catch(() => undefined);
    await this.delayed.elector.stop();
  }

  /** A new event waits until `deliverAt`: look again if that is before the armed wake-up. */
  private scheduled(deliverAt: Date): void {
    if (this.leadership === undefined) return;
    if (this.running !== undefined) this.again = true;
    else if (this.wakeAt === undefined || deliverAt.getTime() < this.wakeAt) this.kick();
  }

  private kick(): void {
    if (this.stopped) return;
    this.disarm();
    this.running ??= this.deliver().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Delivers everything due, then sleeps until the next event is. */
  private async deliver(): Promise<void> {
    try {
      for (;;) {
        const leadership = this.leadership;
        if (leadership === undefined || this.stopped) return;
        const delivered = await this.delayed.store.deliverDue(leadership, this.batchSize);
        if (delivered === this.batchSize) continue;
        const waitMs = await this.delayed.store.nextDueInMs();
        if (waitMs !== undefined && waitMs <= 0) continue;
        // One millisecond more, so a timer firing a little early does not find the event not yet due.
        return this.arm(Math.min(waitMs === undefined ? Infinity : waitMs + 1, this.maxSleepMs));
      }
    } catch (error) {
      // Deposed between the election and the delivery: the elector hears it on its next round.
      if (error instanceof FencedError)
        this.logger.debug(errorFields(error), 'no longer delivering');
      else this.logger.warn(errorFields(error), 'delivering delayed events failed; retrying');
      this.arm(this.retryMs);
    }
  }

  private arm(ms: number): void {
    if (this.stopped || this.leadership === undefined) return;
    this.wakeAt = Date.now() + ms;
    this.timer = setTimeout(() => this.kick(), ms);
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.wakeAt = undefined;
  }
}
