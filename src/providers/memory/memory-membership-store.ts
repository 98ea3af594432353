/**
 * Members, assignments and rebalances in memory, with PgMembershipStore's
 * semantics: state shared by every provider of one factory, members dead
 * only when their heartbeat expires (there is no session to watch), and
 * every change announced to every provider's listeners once the call that
 * made it has returned.
 */
import type { Leadership } from '../../core/contracts/elector.js';
import type {
  AllocationChanges,
  AllocationState,
  DeadMemberNotice,
  MemberAssignment,
  MemberTerms,
  MembershipStore,
  RebalanceResult,
} from '../../core/contracts/membership-store.js';
import type { MemberInfo, MembershipView } from '../../core/contracts/membership.js';
import { FencedError, NotFoundError } from '../../core/errors.js';
import { describeMembership } from './memory-membership-view.js';
import type { MembershipData, MembershipListener } from './memory-membership-data.js';
import { applyAllocation, loadAllocation } from './memory-rebalance.js';
import type { MemoryData } from './memory-data.js';
import { promised } from '../../core/kit/promised.js';

export class MemoryMembershipStore implements MembershipStore {
  private readonly shared: MembershipData;
  /** This provider's listeners, removed from the shared set on close. */
  private readonly own = new Set<MembershipListener>();

  constructor(
    private readonly data: MemoryData,
    private readonly assertOpen: () => void,
  ) {
    this.shared = data.membership;
  }

  join(
    consumer: string,
    member: MemberInfo,
    partitions: number,
    terms: MemberTerms,
  ): Promise<void> {
    return promised(() => {
      this.assertOpen();
      if (!this.data.consumers.has(consumer)) {
        throw new NotFoundError(`consumer ${JSON.stringify(consumer)} is not registered`, {
          reason: 'consumer_not_found',
          details: { consumer },
        });
      }
      const now = Date.now();
      let members = this.shared.members.get(consumer);
      if (members === undefined) {
        members = new Map();
        this.shared.members.set(consumer, members);
      }
      const existing = members.get(member.id);
      members.set(member.id, {
        id: member.id,
        host: member.host,
        pid: member.pid,
        partitions,
        joinedAt: existing?.joinedAt ?? now,
        heartbeatAt: now,
        expiresAt: now + terms.sessionTimeoutMs,
      });
      this.shared.announce(consumer);
    });
  }

  heartbeat(consumer: string, member: string, terms: MemberTerms): Promise<number | undefined> {
    return promised(() => {
      this.assertOpen();
      // A member past its expiry that nobody removed yet is still there, and renewed.
      const stored = this.shared.members.get(consumer)?.get(member);
      if (stored === undefined) return undefined;
      const now = Date.now();
      stored.heartbeatAt = now;
      stored.expiresAt = now + terms.sessionTimeoutMs;
      return this.shared.generation(consumer);
    });
  }

  assignment(consumer: string, member: string): Promise<MemberAssignment> {
    return promised(() => {
      this.assertOpen();
      if (!this.data.consumers.has(consumer)) {
        return { generation: 0, owned: [], ownedSince: [], revoking: [] };
      }
      const mine = (this.shared.assignments.get(consumer) ?? []).filter((o) => o.member === member);
      return {
        generation: this.shared.generation(consumer),
        owned: mine.filter((o) => !o.revoking).map((o) => o.partition),
        ownedSince: mine.filter((o) => !o.revoking).map((o) => o.generation),
        revoking: mine.filter((o) => o.revoking).map((o) => o.partition),
      };
    });
  }

  release(consumer: string, member: string, partitions: readonly number[]): Promise<void> {
    return promised(() => {
      this.assertOpen();
      if (partitions.length === 0) return;
      const released = new Set(partitions);
      for (const owner of this.shared.assignments.get(consumer) ?? []) {
        if (owner.member === member && released.has(owner.partition)) {
          owner.member = null;
          owner.revoking = false;
        }
      }
      this.shared.announce(consumer);
    });
  }

  leave(consumer: string, member: string): Promise<void> {
    return promised(() => {
      this.assertOpen();
      for (const owner of this.shared.assignments.get(consumer) ?? []) {
        if (owner.member === member) {
          owner.member = null;
          owner.revoking = false;
        }
      }
      this.shared.members.get(consumer)?.delete(member);
      this.shared.announce(consumer);
    });
  }

  onChange(listener: (consumer: string) => void): Promise<() => Promise<void>> {
    return promised(() => {
      this.assertOpen();
      // A wrapper per call, so subscribing one function twice needs two stops.
      const subscribed: MembershipListener = (consumer) => listener(consumer);
      this.own.add(subscribed);
      this.shared.listeners.add(subscribed);
      return () => {
        this.own.delete(subscribed);
        this.shared.listeners.delete(subscribed);
        return Promise.resolve();
      };
    });
  }

  describe(consumer: string): Promise<MembershipView> {
    return promised(() => {
      this.assertOpen();
      return describeMembership(this.shared, consumer, Date.now());
    });
  }

  activeConsumers(): Promise<string[]> {
    return promised(() => {
      this.assertOpen();
      const active = new Set<string>();
      for (const [consumer, members] of this.shared.members) {
        if (members.size > 0) active.add(consumer);
      }
      for (const [consumer, owners] of this.shared.assignments) {
        if (owners.some((o) => o.member !== null)) active.add(consumer);
      }
      return [...active];
    });
  }

  /** Consumers with a member whose heartbeat expired (no session to watch, so no lease to wait for). */
  deadMembers(): Promise<DeadMemberNotice[]> {
    return promised(() => {
      this.assertOpen();
      const now = Date.now();
      return [...this.shared.members]
        .filter(([, members]) => [...members.values()].some((m) => m.expiresAt <= now))
        .map(([consumer]) => ({ consumer, dueInMs: 0 }));
    });
  }

  loadAllocation(consumer: string): Promise<AllocationState | undefined> {
    return promised(() => {
      this.assertOpen();
      const record = this.data.consumers.get(consumer);
      if (record === undefined) return undefined;
      return loadAllocation(this.shared, consumer, record.partitions, Date.now());
    });
  }

  applyAllocation(
    loaded: AllocationState,
    changes: AllocationChanges,
    leadership: Leadership,
  ): Promise<RebalanceResult> {
    return promised(() => {
      this.assertOpen();
      const now = Date.now();
      const { lease } = this.shared;
      if (
        lease.holder !== leadership.holder ||
        lease.term !== leadership.term ||
        lease.expiresAt <= now
      ) {
        throw new FencedError(`leadership term ${leadership.term} is over`, { reason: 'deposed' });
      }
      const record = this.data.consumers.get(loaded.consumer);
      if (record === undefined) return { generation: 0, expired: [], changed: false };
      const result = applyAllocation(this.shared, loaded, changes, record.partitions, now);
      if (result.changed) this.shared.announce(loaded.consumer);
      return result;
    });
  }

  /** Stops this provider's listeners (it is closing). */
  close(): void {
    for (const listener of this.own) this.shared.listeners.delete(listener);
    this.own.clear();
  }
}
