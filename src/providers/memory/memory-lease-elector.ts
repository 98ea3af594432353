/**
 * Leadership by the factory's one lease, as LeaseElector holds the lease row
 * (lease_acquire, lease_renew, lease_release): the leader renews it a third
 * of the way through, a leader that stops renewing is replaced once it
 * expires, every new holder starts a new term, and resigning frees it at
 * once and tells every provider, so a candidate takes over without waiting.
 */
import { EVERY_CONSUMER } from '../../core/allocation/allocator.js';
import type { LeaderElector, Leadership } from '../../core/contracts/elector.js';
import type { MembershipData } from './memory-membership-data.js';
import { promised } from './promised.js';

export interface MemoryElectorOptions {
  /** Who campaigns: one id per provider, as one per process. */
  readonly holder: string;
  readonly host: string;
  readonly pid: number;
  /** A leader silent this long is replaced. */
  readonly ttlMs: number;
  /** How often candidates try and the leader renews. */
  readonly intervalMs: number;
}

export class MemoryLeaseElector implements LeaderElector {
  private leadership: Leadership | undefined;
  private listener: (leadership: Leadership | undefined) => void = () => undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private renewedAt = 0;

  constructor(
    private readonly data: MembershipData,
    private readonly options: MemoryElectorOptions,
    /** Throws once the provider is closed (or killed): a closed provider can neither lead nor resign. */
    private readonly assertOpen: () => void,
  ) {}

  async start(listener: (leadership: Leadership | undefined) => void): Promise<void> {
    this.listener = listener;
    await this.round();
    if (this.stopped) return;
    this.timer = setInterval(() => this.wake(), this.options.intervalMs);
    this.timer.unref();
  }

  current(): Leadership | undefined {
    return this.leadership;
  }

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
    try {
      this.assertOpen();
      const { lease } = this.data;
      if (lease.holder === leadership.holder && lease.term === leadership.term) {
        lease.holder = null;
        lease.expiresAt = Date.now();
        this.data.announce(EVERY_CONSUMER);
      }
    } catch {
      // Closed already: the lease lapses on its own, as a dead process's does.
    }
  }

  private async round(): Promise<void> {
    if (this.stopped) return;
    try {
      await promised(() => {
        this.assertOpen();
        if (this.leadership) this.hold(this.leadership);
        else this.campaign();
      });
    } catch {
      // Closed: counts as not leading.
      if (this.leadership) this.become(undefined);
    }
  }

  /** Renews a third of the way through the lease; steps down if it was lost. */
  private hold(leadership: Leadership): void {
    const now = Date.now();
    if (now - this.renewedAt < this.options.ttlMs / 3) return;
    const { lease } = this.data;
    if (
      lease.holder !== leadership.holder ||
      lease.term !== leadership.term ||
      lease.expiresAt <= now
    ) {
      this.become(undefined);
      return;
    }
    lease.expiresAt = now + this.options.ttlMs;
    this.renewedAt = now;
  }

  /** Takes the lease if it is free, expired or ours already; a new holder starts a new term. */
  private campaign(): void {
    const now = Date.now();
    const { lease } = this.data;
    const { holder, host, pid, ttlMs } = this.options;
    const ours = lease.holder === holder && lease.expiresAt > now;
    if (!ours && lease.holder !== null && lease.expiresAt > now) return;
    if (!ours) {
      lease.term += 1;
      lease.acquiredAt = now;
    }
    lease.holder = holder;
    lease.host = host;
    lease.pid = pid;
    lease.expiresAt = now + ttlMs;
    this.renewedAt = now;
    this.become({ term: lease.term, holder });
  }

  private become(leadership: Leadership | undefined): void {
    if (leadership?.term === this.leadership?.term && !leadership === !this.leadership) return;
    this.leadership = leadership;
    this.listener(leadership);
  }
}
