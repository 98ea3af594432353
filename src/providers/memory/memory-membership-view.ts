/**
 * A consumer's allocation as it stands, for inspection: what
 * PgMembershipStore.describe reads (consumer_generation, members_describe,
 * assignments_load, lease_get), from memory.
 */
import type { LeaderView, MembershipView } from '../../core/contracts/membership.js';
import type { MembershipData } from './memory-membership-data.js';

export function describeMembership(
  data: MembershipData,
  consumer: string,
  now: number,
): MembershipView {
  const owners = data.assignments.get(consumer) ?? [];
  const members = [...(data.members.get(consumer)?.values() ?? [])]
    .sort((a, b) => a.joinedAt - b.joinedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((m) => {
      const mine = owners.filter((o) => o.member === m.id);
      return {
        id: m.id,
        host: m.host,
        pid: m.pid,
        owned: mine.filter((o) => !o.revoking).map((o) => o.partition),
        revoking: mine.filter((o) => o.revoking).map((o) => o.partition),
        joinedAt: new Date(m.joinedAt),
        heartbeatAt: new Date(m.heartbeatAt),
        expiresAt: new Date(m.expiresAt),
      };
    });
  return {
    generation: data.generation(consumer),
    leader: leader(data, now),
    members,
    owners: owners.map((o) => ({ partition: o.partition, member: o.member, revoking: o.revoking })),
  };
}

function leader(data: MembershipData, now: number): LeaderView | undefined {
  const { lease } = data;
  if (lease.holder === null || lease.expiresAt <= now) return undefined;
  return {
    holder: lease.holder,
    host: lease.host ?? '',
    pid: lease.pid ?? 0,
    term: lease.term,
    since: new Date(lease.acquiredAt ?? lease.expiresAt),
    expiresAt: new Date(lease.expiresAt),
  };
}
