/**
 * What competing members share through one `memory()` factory, as the
 * members, assignments and leases tables of 0003_members.sql are shared
 * through one database: who runs each consumer, who owns each partition, the
 * consumer's generation, and the allocator's lease.
 */

export interface StoredMember {
  readonly id: string;
  host: string;
  pid: number;
  /** The partition count the member runs with. */
  partitions: number;
  readonly joinedAt: number;
  heartbeatAt: number;
  /** Dead from this time on (milliseconds since the epoch). */
  expiresAt: number;
}

export interface StoredOwner {
  readonly partition: number;
  /** null: free. */
  member: string | null;
  /** The consumer's generation when the owner got it. */
  generation: number;
  /** The owner was asked to release it. */
  revoking: boolean;
}

export interface StoredLease {
  /** null: nobody holds it. */
  holder: string | null;
  host: string | null;
  pid: number | null;
  /** Grows with every new holder. */
  term: number;
  acquiredAt: number | null;
  expiresAt: number;
}

/** A lease nobody has held yet. */
export function freeLease(): StoredLease {
  return {
    holder: null,
    host: null,
    pid: null,
    term: 0,
    acquiredAt: null,
    expiresAt: Number.NEGATIVE_INFINITY,
  };
}

export type MembershipListener = (consumer: string) => void;

export class MembershipData {
  /** Per consumer, its members by id. */
  readonly members = new Map<string, Map<string, StoredMember>>();
  /** Per consumer, one owner per partition (index = partition), made by a rebalance. */
  readonly assignments = new Map<string, StoredOwner[]>();
  /** Per consumer, bumped on every change of its allocation. */
  readonly generations = new Map<string, number>();
  /** The allocator's lease: one per factory, as one row per database. */
  readonly lease = freeLease();
  /** Leases by name (NamedLeases), each made when first asked for. */
  private readonly named = new Map<string, StoredLease>();
  readonly listeners = new Set<MembershipListener>();

  namedLease(name: string): StoredLease {
    let lease = this.named.get(name);
    if (lease === undefined) this.named.set(name, (lease = freeLease()));
    return lease;
  }

  generation(consumer: string): number {
    return this.generations.get(consumer) ?? 0;
  }

  /**
   * Tells every provider's listeners that `consumer` changed, once the call
   * that changed it has returned (as a NOTIFY arrives after its commit). A
   * listener removed in the meantime hears nothing.
   */
  announce(consumer: string): void {
    const listeners = [...this.listeners];
    if (listeners.length === 0) return;
    queueMicrotask(() => {
      for (const listener of listeners) {
        if (this.listeners.has(listener)) listener(consumer);
      }
    });
  }
}
