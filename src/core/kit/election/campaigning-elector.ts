/**
 * The loop every lease-based elector runs, whatever holds the lease: a
 * candidate campaigns every interval; the leader renews a third of the way
 * through its lease and steps down the moment a renewal fails; stopping
 * resigns at once. Providers say only how to campaign, hold and resign.
 */
import type { LeaderElector, Leadership } from '../../contracts/elector.js';

export interface CampaignOptions {
  /** Who campaigns: one id per process. */
  readonly holder: string;
  /** A leader silent this long is replaced. */
  readonly ttlMs: number;
  /** How often candidates try and the leader looks at its lease. */
  readonly intervalMs: number;
}

export abstract class CampaigningElector implements LeaderElector {
  private leadership: Leadership | undefined;
  private listener: (leadership: Leadership | undefined) => void = () => undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private renewedAt = 0;

  constructor(private readonly campaignOptions: CampaignOptions) {}

  async start(listener: (leadership: Leadership | undefined) => void): Promise<void> {
    this.listener = listener;
    await this.prepare();
    await this.round();
    if (this.stopped) return;
    this.timer = setInterval(() => this.wake(), this.campaignOptions.intervalMs);
    this.timer.unref();
  }

  current(): Leadership | undefined {
    return this.leadership;
  }

  /** Tries (or renews) now rather than at the next interval. */
  wake(): void {
    if (this.stopped) return;
    this.running ??= this.round().finally(() => {
      this.running = undefined;
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    const leadership = this.leadership;
    if (leadership === undefined) return;
    this.become(undefined);
    // A resignation that fails (closed, cut off) lapses on its own, as a dead process's lease does.
    await this.resign(leadership).catch(() => undefined);
  }

  /** Runs once before the first campaign (making sure the lease exists). */
  protected prepare(): Promise<void> {
    return Promise.resolve();
  }
  /** Takes leadership if it can: the new term, or undefined. */
  protected abstract campaign(): Promise<number | undefined>;
  /** Renews; true while still the leader. */
  protected abstract hold(leadership: Leadership): Promise<boolean>;
  /** Frees the lease at once and tells the other candidates. */
  protected abstract resign(leadership: Leadership): Promise<void>;

  protected become(leadership: Leadership | undefined): void {
    if (
      leadership?.term === this.leadership?.term &&
      (leadership === undefined) === (this.leadership === undefined)
    ) {
      return;
    }
    this.leadership = leadership;
    this.listener(leadership);
  }

  private async round(): Promise<void> {
    if (this.stopped) return;
    try {
      const leadership = this.leadership;
      if (leadership) {
        // Renew a third of the way through the lease: often enough, not every round.
        if (Date.now() - this.renewedAt < this.campaignOptions.ttlMs / 3) return;
        const startedAt = Date.now();
        if (await this.hold(leadership)) this.renewedAt = startedAt;
        else this.become(undefined);
        return;
      }
      const startedAt = Date.now();
      const term = await this.campaign();
      if (term !== undefined && !this.stopped) {
        this.renewedAt = startedAt;
        this.become({ term, holder: this.campaignOptions.holder });
      }
    } catch {
      // A failed round (connection trouble, a closed provider) counts as not leading; the next round tries again.
      if (this.leadership) this.become(undefined);
    }
  }
}
