/**
 * What the allocator plans on, built the same way by every store from what
 * it keeps: its members (each marked dead or not by the store's own rule)
 * and its owner records, which may lack partitions not yet allocated or
 * hold some beyond a partition count that shrank.
 */
import type {
  AllocationState,
  MemberRecord,
  PartitionOwner,
} from '../../contracts/membership-store.js';

export interface KnownMember extends MemberRecord {
  readonly dead: boolean;
}

/** As the store keeps it: every member, dead or not, and its owner records as they are. */
export interface StoredAllocation extends Omit<AllocationState, 'members' | 'expired'> {
  readonly members: readonly KnownMember[];
}

export function allocationState(stored: StoredAllocation): AllocationState {
  const { consumer, partitions, generation } = stored;
  const live = stored.members.filter((m) => !m.dead && m.partitions === partitions);
  const liveIds = new Set(live.map((m) => m.id));
  const byPartition = new Map(stored.owners.map((o) => [o.partition, o]));
  const owners = Array.from({ length: partitions }, (_, partition): PartitionOwner => {
    const owner = byPartition.get(partition);
    if (owner === undefined) return { partition, member: null, generation: 0, revoking: false };
    if (owner.member !== null && !liveIds.has(owner.member)) {
      return { ...owner, member: null, revoking: false };
    }
    return { ...owner };
  });
  const members = live
    .sort((a, b) => a.joinedAt.getTime() - b.joinedAt.getTime() || compareText(a.id, b.id))
    .map(({ dead: _dead, ...record }) => record);
  const expired = stored.members.filter((m) => m.dead).map((m) => m.id);
  return { consumer, partitions, generation, members, owners, expired };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
