/**
 * The work allocator: while this process leads, it rebalances a consumer
 * whenever its membership changes (a join, a leave, a release), and on every
 * tick looks for members that died, so their partitions move on; a member
 * whose session is gone but whose lease still runs is looked at again the
 * moment its lease ends. Only the leader's writes are accepted (a deposed
 * leader's rebalance is refused with a FencedError, and it stops).
 */
import type { Leadership } from '../../contracts/elector.js';
import {
  EVERY_CONSUMER,
  type DeadMemberNotice,
  type MembershipStore,
  type RebalanceResult,
} from '../../contracts/membership-store.js';
import { FencedError } from '../../errors.js';
import { errorFields, type Logger } from '../../logger.js';
import { planAllocation } from './plan-allocation.js';

export interface AllocatorOptions {
  /** How often the leader looks for dead members. */
  readonly tickMs: number;
  /** Every this many ticks, every active consumer is rebalanced, whatever was heard. */
  readonly sweepEveryTicks: number;
}

export class Allocator {
  private leadership: Leadership | undefined;
  private readonly pending = new Set<string>();
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Consumers to look at again when a lease ends: when, and the timer. */
  private readonly due = new Map<string, { readonly at: number; readonly timer: NodeJS.Timeout }>();
  private ticks = 0;

  constructor(
    private readonly store: MembershipStore,
    private readonly options: AllocatorOptions,
    private readonly logger: Logger,
    private readonly onRebalanced: (consumer: string, result: RebalanceResult) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), this.options.tickMs);
    this.timer.unref();
  }

  /** Leads (or stops leading) from now on. */
  lead(leadership: Leadership | undefined): void {
    this.leadership = leadership;
    if (leadership) this.request(EVERY_CONSUMER);
  }

  /** Something changed for `consumer` (or every consumer): rebalance it soon. */
  request(consumer: string): void {
    this.pending.add(consumer);
    if (this.leadership) this.running ??= this.drain();
  }

  /** Resolves once the rebalances asked for so far are done. */
  async settle(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const { timer } of this.due.values()) clearTimeout(timer);
    this.due.clear();
    this.leadership = undefined;
    await this.settle();
  }

  private tick(): void {
    if (!this.leadership) return;
    this.ticks++;
    if (this.ticks % this.options.sweepEveryTicks === 0) {
      this.request(EVERY_CONSUMER);
      return;
    }
    const find = this.store.deadMembers?.bind(this.store);
    if (!find) {
      this.request(EVERY_CONSUMER);
      return;
    }
    find().then(
      (notices) => notices.forEach((notice) => this.requestWhenDue(notice)),
      (error: unknown) =>
        this.logger.warn(errorFields(error), 'allocator could not look for dead members'),
    );
  }

  /** At once if the member is dead; else the moment its lease ends, not a tick later. */
  private requestWhenDue({ consumer, dueInMs }: DeadMemberNotice): void {
    if (dueInMs <= 0) {
      this.request(consumer);
      return;
    }
    const at = Date.now() + dueInMs;
    const pending = this.due.get(consumer);
    if (pending !== undefined && pending.at <= at) return;
    if (pending !== undefined) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.due.delete(consumer);
      this.request(consumer);
    }, dueInMs);
    timer.unref();
    this.due.set(consumer, { at, timer });
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.size > 0 && this.leadership) {
        const leadership = this.leadership;
        let consumers = [...this.pending];
        this.pending.clear();
        if (consumers.includes(EVERY_CONSUMER)) {
          consumers = [
            ...new Set([
              ...consumers.filter((c) => c !== EVERY_CONSUMER),
              ...(await this.store.activeConsumers()),
            ]),
          ];
        }
        for (const consumer of consumers) {
          if (this.leadership !== leadership) break;
          await this.rebalance(consumer, leadership);
        }
      }
    } catch (error) {
      this.logger.warn(errorFields(error), 'allocator round failed; retrying on the next tick');
      this.pending.add(EVERY_CONSUMER);
    } finally {
      this.running = undefined;
    }
  }

  private async rebalance(consumer: string, leadership: Leadership): Promise<void> {
    try {
      const loaded = await this.store.loadAllocation(consumer);
      if (loaded === undefined) return;
      const result = await this.store.applyAllocation(loaded, planAllocation(loaded), leadership);
      // Planned on an allocation that has moved since: plan again on what it is now.
      if (result.stale === true) this.pending.add(consumer);
      if (result.changed) this.onRebalanced(consumer, result);
    } catch (error) {
      if (error instanceof FencedError) {
        // Another process leads now; stop acting until the elector says otherwise.
        if (this.leadership === leadership) this.leadership = undefined;
        return;
      }
      throw error;
    }
  }
}
