/**
 * A consumer's allocation as it stands, for inspection: what
 * PgMembershipStore.describe reads (consumer_generation, members_describe,
 * assignments_load, lease_get), from memory.
 */
import type { LeaderView, MembershipView } from '../../core/contracts/membership.js';
import { membershipView } from '../../core/kit/membership/membership-view.js';
import type { MembershipData } from './memory-membership-data.js';

export function describeMembership(
  data: MembershipData,
  consumer: string,
  now: number,
): MembershipView {
  const members = [...(data.members.get(consumer)?.values() ?? [])].map((m) => ({
    id: m.id,
    host: m.host,
    pid: m.pid,
    joinedAt: new Date(m.joinedAt),
    heartbeatAt: new Date(m.heartbeatAt),
    expiresAt: new Date(m.expiresAt),
  }));
  const owners = data.assignments.get(consumer) ?? [];
  return membershipView(data.generation(consumer), members, owners, leader(data, now));
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
