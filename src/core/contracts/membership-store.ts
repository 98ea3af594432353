/**
 * What millrace's own allocation needs from a backend: the members of each
 * consumer and who owns which partition. The leader's allocator decides;
 * members heartbeat, read their assignment and hand partitions back. Kafka
 * needs none of this (its group coordinator allocates).
 */
import type { MemberInfo, MembershipView } from './membership.js';
import type { Leadership } from './elector.js';

/** What `onChange` listeners hear when every consumer should be looked at (after a reconnect, a resignation). */
export const EVERY_CONSUMER = '*';

export interface MemberRecord extends MemberInfo {
  readonly consumer: string;
  /** The partition count the member runs with; it only works partitions of that count. */
  readonly partitions: number;
  readonly joinedAt: Date;
  readonly heartbeatAt: Date;
  readonly expiresAt: Date;
}

export interface PartitionOwner {
  readonly partition: number;
  /** null: free. */
  readonly member: string | null;
  /** The consumer generation when the owner got it. */
  readonly generation: number;
  /** The owner was asked to release it. */
  readonly revoking: boolean;
}

/**
 * How long a member counts as alive, renewed by every heartbeat. The member
 * itself starts work only within `leaseMs` of its last acknowledged
 * heartbeat (less a margin); so once the store sees the member's session
 * gone, its partitions may move on `leaseMs` after that heartbeat, and a
 * member that is only cut off has stopped by then. A member whose session
 * the store cannot see, or that lives on silent, is dead after
 * `sessionTimeoutMs`.
 */
export interface MemberTerms {
  readonly sessionTimeoutMs: number;
  /** At most `sessionTimeoutMs`. */
  readonly leaseMs: number;
}

/** A consumer with a member that is dead, or will be in `dueInMs` unless it heartbeats. */
export interface DeadMemberNotice {
  readonly consumer: string;
  /** 0: dead now. */
  readonly dueInMs: number;
}

/** A member's view: what to work, and what to let go. */
export interface MemberAssignment {
  readonly generation: number;
  readonly owned: readonly number[];
  /** For each owned partition, in the same order, the generation it was granted in. */
  readonly ownedSince: readonly number[];
  readonly revoking: readonly number[];
}

/** What the allocator plans on: one consumer's allocation as it was loaded. */
export interface AllocationState {
  readonly consumer: string;
  readonly partitions: number;
  /** The consumer's generation when loaded: applying the plan is refused once it moved. */
  readonly generation: number;
  /** Live members that run with the consumer's partition count, oldest first. */
  readonly members: readonly MemberRecord[];
  /**
   * One entry per partition; the partitions of owners that are not live
   * members with this partition count are shown free.
   */
  readonly owners: readonly PartitionOwner[];
  /** Members found dead: removed when the plan is applied. */
  readonly expired: readonly string[];
}

/** What the allocator decides: partitions to give (free ones only) and to revoke. */
export interface AllocationChanges {
  readonly grant: readonly { readonly partition: number; readonly member: string }[];
  readonly revoke: readonly number[];
  /** Partitions being revoked that should stay with their owner after all. */
  readonly keep: readonly number[];
}

export interface RebalanceResult {
  readonly generation: number;
  /** Members found dead and removed. */
  readonly expired: readonly string[];
  readonly changed: boolean;
  /**
   * Nothing was written: the consumer's generation or partition count moved
   * since the allocation was loaded. Load it and plan again.
   */
  readonly stale?: boolean;
}

export interface MembershipStore {
  /** Adds (or re-adds) a member, alive on the terms given from now. */
  join(consumer: string, member: MemberInfo, partitions: number, terms: MemberTerms): Promise<void>;
  /**
   * Keeps a member alive on the terms given from now, and records the
   * session it speaks from; the consumer's generation, or undefined if the
   * member is gone (it was found dead).
   */
  heartbeat(consumer: string, member: string, terms: MemberTerms): Promise<number | undefined>;
  assignment(consumer: string, member: string): Promise<MemberAssignment>;
  release(consumer: string, member: string, partitions: readonly number[]): Promise<void>;
  /** Releases everything and removes the member. */
  leave(consumer: string, member: string): Promise<void>;
  /** Hears that a consumer's membership or allocation changed (a join, a release, a new assignment). */
  onChange(listener: (consumer: string) => void): Promise<() => Promise<void>>;
  /**
   * Where the store watches this process's session (see MemberTerms): hears
   * that the session was lost, so the others may take this process's members
   * for dead once their leases end. Returns a function that stops listening.
   */
  onSessionLost?(listener: () => void): () => void;

  /** The allocation as it stands, for inspection. */
  describe?(consumer: string): Promise<MembershipView>;

  /**
   * Consumers with a dead member, or one whose session is gone and whose
   * lease ends in `dueInMs`, where the store can tell cheaply: the leader's
   * check on every tick. Without it the leader rebalances every active
   * consumer on every tick.
   */
  deadMembers?(): Promise<readonly DeadMemberNotice[]>;

  /** Consumers that have members or owned partitions: the allocator's work list. */
  activeConsumers(): Promise<string[]>;
  /** One consumer's allocation, for the allocator to plan on; undefined if the consumer is gone. */
  loadAllocation(consumer: string): Promise<AllocationState | undefined>;
  /**
   * Applies a plan made on `loaded`, at once and as a compare-and-set (one
   * transaction, one script): refused with a FencedError unless
   * `leadership` is still current; nothing written (`stale`) if the
   * consumer's generation or partition count moved since `loaded`.
   * Otherwise it removes the members that are dead now, frees the
   * partitions of owners that are not live members with the partition
   * count, and makes each change only where what it was planned on still
   * holds: a grant of a partition still free to a member still there with
   * the partition count, a revoke of a partition still owned and not being
   * revoked, a keep of one still being revoked. The generation moves if
   * anything did, and the members are told.
   */
  applyAllocation(
    loaded: AllocationState,
    changes: AllocationChanges,
    leadership: Leadership,
  ): Promise<RebalanceResult>;
}
