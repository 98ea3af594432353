/**
 * One rebalance of one consumer, as PgMembershipStore runs it in one
 * transaction (members_expire, assignments_sync, members_live,
 * assignments_load, assignments_apply, consumer_generation_set). It works on
 * copies and writes them back only at the end, so a plan that throws
 * changes nothing, as a rolled-back transaction; running synchronously, it
 * needs no locks.
 */
import type {
  AllocationChanges,
  AllocationState,
  MemberRecord,
  RebalanceResult,
} from '../../core/contracts/membership-store.js';
import type { MembershipData, StoredMember, StoredOwner } from './memory-membership-data.js';

export function rebalanceConsumer(
  data: MembershipData,
  consumer: string,
  partitions: number,
  plan: (state: AllocationState) => AllocationChanges,
  now: number,
): RebalanceResult {
  const generation = data.generation(consumer);
  const stored = data.members.get(consumer) ?? new Map<string, StoredMember>();
  const expired = [...stored.values()].filter((m) => m.expiresAt <= now).map((m) => m.id);
  const live = [...stored.values()].filter((m) => m.expiresAt > now);
  const owners = syncedOwners(data.assignments.get(consumer) ?? [], live, partitions);
  const members = live
    .filter((m) => m.partitions === partitions)
    .sort((a, b) => a.joinedAt - b.joinedAt || compareText(a.id, b.id))
    .map((m) => toRecord(consumer, m));
  const changes = plan({
    consumer,
    partitions,
    generation,
    members,
    owners: owners.map((o) => ({ ...o })),
  });
  const next = generation + 1;
  const changed = applyChanges(owners, changes, next) > 0 || expired.length > 0;
  for (const id of expired) stored.delete(id);
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
  live: readonly StoredMember[],
  partitions: number,
): StoredOwner[] {
  const counts = new Map(live.map((m) => [m.id, m.partitions]));
  return Array.from({ length: partitions }, (_, partition): StoredOwner => {
    const owner = existing[partition];
    if (owner === undefined) return { partition, member: null, generation: 0, revoking: false };
    if (owner.member !== null && counts.get(owner.member) !== partitions) {
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
function applyChanges(owners: StoredOwner[], changes: AllocationChanges, next: number): number {
  const grants = new Map<number, string>();
  for (const { partition, member } of changes.grant) {
    if (owners[partition]?.member === null && !grants.has(partition)) {
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

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
