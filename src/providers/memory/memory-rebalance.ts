/**
 * The allocator's load and apply on memory, as PgMembershipStore runs them
 * (allocation_members and assignments_load; then, in one transaction,
 * members_expire, assignments_sync, assignments_apply and
 * consumer_generation_set). Running synchronously, apply needs no locks.
 */
import { allocationState } from '../../core/kit/allocation/allocation-state.js';
import type {
  AllocationChanges,
  AllocationState,
  MemberRecord,
  RebalanceResult,
} from '../../core/contracts/membership-store.js';
import type { MembershipData, StoredMember, StoredOwner } from './memory-membership-data.js';

/** The allocation of a consumer with `partitions` partitions, as the allocator plans on it. */
export function loadAllocation(
  data: MembershipData,
  consumer: string,
  partitions: number,
  now: number,
): AllocationState {
  const stored = data.members.get(consumer) ?? new Map<string, StoredMember>();
  return allocationState({
    consumer,
    partitions,
    generation: data.generation(consumer),
    members: [...stored.values()].map((m) => ({
      ...toRecord(consumer, m),
      dead: m.expiresAt <= now,
    })),
    owners: data.assignments.get(consumer) ?? [],
  });
}

/**
 * Applies a plan made on `loaded` (see MembershipStore.applyAllocation);
 * `partitions` is the consumer's partition count now.
 */
export function applyAllocation(
  data: MembershipData,
  loaded: AllocationState,
  changes: AllocationChanges,
  partitions: number,
  now: number,
): RebalanceResult {
  const { consumer } = loaded;
  const generation = data.generation(consumer);
  if (generation !== loaded.generation || partitions !== loaded.partitions) {
    return { generation, expired: [], changed: false, stale: true };
  }
  const stored = data.members.get(consumer) ?? new Map<string, StoredMember>();
  const expired = [...stored.values()].filter((m) => m.expiresAt <= now).map((m) => m.id);
  for (const id of expired) stored.delete(id);
  const live = new Set(
    [...stored.values()].filter((m) => m.partitions === partitions).map((m) => m.id),
  );
  const owners = syncedOwners(data.assignments.get(consumer) ?? [], live, partitions);
  const next = generation + 1;
  const changed = applyChanges(owners, live, changes, next) > 0 || expired.length > 0;
  data.assignments.set(consumer, owners);
  if (!changed) return { generation, expired, changed };
  data.generations.set(consumer, next);
  return { generation: next, expired, changed };
}

/**
 * One owner per partition of the current count (copies), with the
 * partitions of owners that are not live members with this count freed.
 */
function syncedOwners(
  existing: readonly StoredOwner[],
  live: ReadonlySet<string>,
  partitions: number,
): StoredOwner[] {
  return Array.from({ length: partitions }, (_, partition): StoredOwner => {
    const owner = existing[partition];
    if (owner === undefined) return { partition, member: null, generation: 0, revoking: false };
    if (owner.member !== null && !live.has(owner.member)) {
      return { ...owner, member: null, revoking: false };
    }
    return { ...owner };
  });
}

/**
 * Grants free partitions (at generation `next`), revokes owned ones, keeps
 * revoked ones after all. Every condition is read before anything changes,
 * as one statement sees one snapshot. The number of owners that changed.
 */
function applyChanges(
  owners: StoredOwner[],
  live: ReadonlySet<string>,
  changes: AllocationChanges,
  next: number,
): number {
  const grants = new Map<number, string>();
  for (const { partition, member } of changes.grant) {
    if (owners[partition]?.member === null && live.has(member) && !grants.has(partition)) {
      grants.set(partition, member);
    }
  }
  const revokes = new Set(
    changes.revoke.filter((p) => owners[p]?.member != null && owners[p]?.revoking === false),
  );
  const keeps = new Set(changes.keep.filter((p) => owners[p]?.revoking === true));
  for (const [partition, member] of grants) {
    const owner = owners[partition] as StoredOwner;
    owner.member = member;
    owner.generation = next;
    owner.revoking = false;
  }
  for (const partition of revokes) (owners[partition] as StoredOwner).revoking = true;
  for (const partition of keeps) (owners[partition] as StoredOwner).revoking = false;
  return grants.size + revokes.size + keeps.size;
}

function toRecord(consumer: string, member: StoredMember): MemberRecord {
  return {
    consumer,
    id: member.id,
    host: member.host,
    pid: member.pid,
    partitions: member.partitions,
    joinedAt: new Date(member.joinedAt),
    heartbeatAt: new Date(member.heartbeatAt),
    expiresAt: new Date(member.expiresAt),
  };
}
