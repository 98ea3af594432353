/**
 * A consumer's allocation as inspection shows it (MembershipStore.describe),
 * built the same way from any store's members and owners: members oldest
 * first, each with what it owns and what it is handing over.
 */
import type { MemberRecord, PartitionOwner } from '../../contracts/membership-store.js';
import type { LeaderView, MembershipView } from '../../contracts/membership.js';

export type ViewedMember = Omit<MemberRecord, 'consumer' | 'partitions'>;

export function membershipView(
  generation: number,
  members: readonly ViewedMember[],
  owners: readonly Omit<PartitionOwner, 'generation'>[],
  leader: LeaderView | undefined,
): MembershipView {
  return {
    generation,
    leader,
    members: [...members]
      .sort(
        (a, b) =>
          a.joinedAt.getTime() - b.joinedAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
      )
      .map((m) => {
        const mine = owners.filter((o) => o.member === m.id);
        return {
          id: m.id,
          host: m.host,
          pid: m.pid,
          owned: mine.filter((o) => !o.revoking).map((o) => o.partition),
          revoking: mine.filter((o) => o.revoking).map((o) => o.partition),
          joinedAt: m.joinedAt,
          heartbeatAt: m.heartbeatAt,
          expiresAt: m.expiresAt,
        };
      }),
    owners: owners.map((o) => ({ partition: o.partition, member: o.member, revoking: o.revoking })),
  };
}
