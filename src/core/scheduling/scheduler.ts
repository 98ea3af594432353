/**
 * Moves delayed events into the log when they are due. Every Millrace
 * instance runs one, but only the leader of the scheduler's own lease
 * delivers, so each event is appended once; the store also refuses a
 * delivery under a leadership that is no longer current.
 *
 * Instances campaign only while something waits: an idle database sees no
 * lease renewals (no writes, no transaction ids spent) from a process that
 * has nothing to deliver. A leader that finds the schedule empty resigns.
 *
 * The leader never polls on a short interval: it asks when the earliest
 * waiting event is due and sleeps exactly that long. A newly scheduled event
 * that is due earlier wakes it at once (the store's `onScheduled`, a NOTIFY
 * on PostgreSQL), so lateness is a timer's precision plus one delivery
 * transaction. `maxSleepMs` only bounds what a lost notification can cost.
 */
import type { LeaderElector, Leadership } from '../contracts/elector.js';
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
  /** Present while campaigning: something waits to be delivered. */
  private elector: LeaderElector | undefined;
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
    this.kick();
    await this.running;
  }

  /** Stops delivering and resigns, so another instance takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.disarm();
    await this.running;
    await this.unsubscribe?.().catch(() => undefined);
    await this.retire();
  }

  /** A new event waits until `deliverAt`: look now, unless another leads or the sleep ends sooner. */
  private scheduled(deliverAt: Date): void {
    if (this.elector !== undefined && this.leadership === undefined) return;
    if (this.wakeAt === undefined || deliverAt.getTime() < this.wakeAt) this.kick();
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.disarm();
    this.running = this.step()
      .catch((error: unknown) => {
        // Deposed between the election and the delivery: the elector hears it on its next round.
        if (error instanceof FencedError) this.logger.debug(errorFields(error), 'not delivering');
        else this.logger.warn(errorFields(error), 'delivering delayed events failed; retrying');
        this.arm(this.retryMs);
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async step(): Promise<void> {
    const leadership = this.leadership;
    if (leadership !== undefined) return this.deliver(leadership);
    const waitMs = await this.delayed.store.nextDueInMs();
    if (waitMs === undefined) await this.retire();
    else if (this.elector === undefined && !this.stopped) await this.campaign();
    // Idle, or a candidate while another delivers: look again later.
    this.arm(this.maxSleepMs);
  }

  /** Delivers everything due, then sleeps until the next event is, or resigns if none waits. */
  private async deliver(leadership: Leadership): Promise<void> {
    for (;;) {
      if (this.stopped || this.leadership !== leadership) return;
      const delivered = await this.delayed.store.deliverDue(leadership, this.batchSize);
      if (delivered === this.batchSize) continue;
      const waitMs = await this.delayed.store.nextDueInMs();
      if (waitMs === undefined) {
        await this.retire();
        return this.arm(this.maxSleepMs);
      }
      // One millisecond more, so a timer firing a little early does not find the event not yet due.
      if (waitMs > 0) return this.arm(Math.min(waitMs + 1, this.maxSleepMs));
    }
  }

  private async campaign(): Promise<void> {
    const elector = this.delayed.createElector();
    this.elector = elector;
    await elector.start((leadership) => {
      if (this.elector !== elector) return;
      this.leadership = leadership;
      this.kick();
    });
  }

  /** Stops campaigning, resigning if leading: nothing waits (or this instance stops). */
  private async retire(): Promise<void> {
    const elector = this.elector;
    this.elector = undefined;
    this.leadership = undefined;
    await elector?.stop();
  }

  private arm(ms: number): void {
    if (this.stopped) return;
    this.disarm();
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
