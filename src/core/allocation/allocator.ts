/**
 * The work allocator: while this process leads, it rebalances a consumer
 * whenever its membership changes (a join, a leave, a release), and on every
 * tick looks for members that died, so their partitions move on. Only the
 * leader's writes are accepted (a deposed leader's rebalance is refused with
 * a FencedError, and it stops).
 */
import type { Leadership } from '../contracts/elector.js';
import type { MembershipStore, RebalanceResult } from '../contracts/membership-store.js';
import { FencedError } from '../errors.js';
import { errorFields, type Logger } from '../logger.js';
import { planAllocation } from './plan-allocation.js';

/** Wildcard: every consumer should be looked at. */
export const EVERY_CONSUMER = '*';

export interface AllocatorOptions {
  /** How often the leader looks for dead members. */
  readonly tickMs: number;
  /** Every this many ticks, every active consumer is rebalanced, whatever was heard. */
  readonly sweepEveryTicks: number;
}

export interface AllocatorStore extends MembershipStore {
  /** Consumers with a dead member, if the store can tell cheaply; otherwise every active one. */
  consumersWithDeadMembers?(): Promise<string[]>;
}

export class Allocator {
  private leadership: Leadership | undefined;
  private readonly pending = new Set<string>();
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticks = 0;

  constructor(
    private readonly store: AllocatorStore,
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
    const find = this.store.consumersWithDeadMembers?.bind(this.store);
    if (!find) {
      this.request(EVERY_CONSUMER);
      return;
    }
    find().then(
      (consumers) => consumers.forEach((consumer) => this.request(consumer)),
      (error: unknown) =>
        this.logger.warn(errorFields(error), 'allocator could not look for dead members'),
    );
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
      const result = await this.store.rebalance(consumer, leadership, planAllocation);
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
