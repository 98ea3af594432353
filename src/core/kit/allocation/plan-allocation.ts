/**
 * The allocation policy, a pure function of what the allocator sees:
 * - balanced: every live member ends with ⌊P/M⌋ or ⌈P/M⌉ partitions (members
 *   beyond P get none: hot standbys);
 * - sticky: a member keeps what it has up to its share, and the extra shares
 *   go to the members that already hold the most, so a join or a leave moves
 *   as few partitions as possible;
 * - cooperative: a partition moves in two steps, revoked from its owner (who
 *   drains, commits and releases it) and then granted, free, to its new one,
 *   so two live members never work it at once.
 */
import type { AllocationChanges, AllocationState } from '../../contracts/membership-store.js';

export function planAllocation(state: AllocationState): AllocationChanges {
  const grant: { partition: number; member: string }[] = [];
  const revoke: number[] = [];
  const keep: number[] = [];
  const members = state.members.map((m) => m.id);
  if (members.length === 0) return { grant, revoke, keep };

  const owned = new Map<string, number[]>(members.map((m) => [m, []]));
  const free: number[] = [];
  for (const owner of state.owners) {
    const list = owner.member === null ? undefined : owned.get(owner.member);
    if (list) list.push(owner.partition);
    else free.push(owner.partition);
  }

  const base = Math.floor(state.partitions / members.length);
  const extra = state.partitions % members.length;
  // Members already holding the most get the larger shares (stable by age).
  const byHoldings = [...members].sort(
    (a, b) => (owned.get(b)?.length ?? 0) - (owned.get(a)?.length ?? 0),
  );
  const quota = new Map(byHoldings.map((m, index) => [m, base + (index < extra ? 1 : 0)]));

  const revoking = new Set(state.owners.filter((o) => o.revoking).map((o) => o.partition));
  const room = new Map<string, number>();
  for (const member of members) {
    const mine = owned.get(member) ?? [];
    const share = quota.get(member) ?? 0;
    // Keep the partitions not already being revoked first, then the lowest.
    const ordered = [...mine].sort(
      (a, b) => Number(revoking.has(a)) - Number(revoking.has(b)) || a - b,
    );
    ordered.forEach((partition, index) => {
      if (index < share) {
        if (revoking.has(partition)) keep.push(partition);
      } else if (!revoking.has(partition)) {
        revoke.push(partition);
      }
    });
    room.set(member, Math.max(0, share - mine.length));
  }

  free.sort((a, b) => a - b);
  for (const member of members) {
    let space = room.get(member) ?? 0;
    while (space > 0 && free.length > 0) {
      grant.push({ partition: free.shift() as number, member });
      space--;
    }
  }
  return { grant, revoke, keep };
}
