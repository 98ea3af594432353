/**
 * Leadership by the factory's one lease, as LeaseElector holds the lease row
 * (lease_acquire, lease_renew, lease_release): the leader renews it a third
 * of the way through, a leader that stops renewing is replaced once it
 * expires, every new holder starts a new term, and resigning frees it at
 * once and tells every provider, so a candidate takes over without waiting.
 */
import { EVERY_CONSUMER } from '../../core/contracts/membership-store.js';
import type { Leadership } from '../../core/contracts/elector.js';
import {
  CampaigningElector,
  type CampaignOptions,
} from '../../core/kit/election/campaigning-elector.js';
import type { MembershipData, StoredLease } from './memory-membership-data.js';
import { promised } from '../../core/kit/promised.js';

export interface MemoryElectorOptions extends CampaignOptions {
  readonly host: string;
  readonly pid: number;
  /** Which lease to hold. @defaultValue the allocator's */
  readonly lease?: StoredLease;
  /** Tell every provider on resigning (see LeaseRowElector). @defaultValue true */
  readonly announceResign?: boolean;
}

export class MemoryLeaseElector extends CampaigningElector {
  constructor(
    private readonly data: MembershipData,
    private readonly options: MemoryElectorOptions,
    /** Throws once the provider is closed (or killed): a closed provider can neither lead nor resign. */
    private readonly assertOpen: () => void,
  ) {
    super(options);
  }

  private get lease(): StoredLease {
    return this.options.lease ?? this.data.lease;
  }

  /** Renews, unless the lease was lost meanwhile. */
  protected hold(leadership: Leadership): Promise<boolean> {
    return promised(() => {
      this.assertOpen();
      const now = Date.now();
      const { lease } = this;
      if (
        lease.holder !== leadership.holder ||
        lease.term !== leadership.term ||
        lease.expiresAt <= now
      ) {
        return false;
      }
      lease.expiresAt = now + this.options.ttlMs;
      return true;
    });
  }

  /** Takes the lease if it is free, expired or ours already; a new holder starts a new term. */
  protected campaign(): Promise<number | undefined> {
    return promised(() => {
      this.assertOpen();
      const now = Date.now();
      const { lease } = this;
      const { holder, host, pid, ttlMs } = this.options;
      const ours = lease.holder === holder && lease.expiresAt > now;
      if (!ours && lease.holder !== null && lease.expiresAt > now) return undefined;
      if (!ours) {
        lease.term += 1;
        lease.acquiredAt = now;
      }
      lease.holder = holder;
      lease.host = host;
      lease.pid = pid;
      lease.expiresAt = now + ttlMs;
      return lease.term;
    });
  }

  protected resign(leadership: Leadership): Promise<void> {
    return promised(() => {
      this.assertOpen();
      const { lease } = this;
      if (lease.holder === leadership.holder && lease.term === leadership.term) {
        lease.holder = null;
        lease.expiresAt = Date.now();
        if (this.options.announceResign !== false) this.data.announce(EVERY_CONSUMER);
      }
    });
  }
}
