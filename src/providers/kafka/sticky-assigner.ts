/**
 * The partition assignor the group's leader member runs (Kafka's classic
 * group protocol leaves assignment to the clients). Each member announces
 * the partitions it works in its subscription's user data; they stay with
 * it where the balance allows, so a rebalance moves as few partitions as it
 * can, and a member keeping a partition keeps working it without a restart.
 */
import type {
  ClusterMetadata,
  ExtendedGroupProtocolSubscription,
  GroupPartitionsAssignments,
} from '@platformatic/kafka';

export const STICKY_PROTOCOL = 'millrace-sticky';

/** What a member tells the group about itself (subscription user data, JSON). */
export interface MemberAnnouncement {
  readonly member: string;
  readonly host: string;
  readonly pid: number;
  readonly owned: readonly number[];
}

export function readAnnouncement(metadata: unknown): MemberAnnouncement | undefined {
  try {
    const text = Buffer.isBuffer(metadata)
      ? metadata.toString()
      : typeof metadata === 'string'
        ? metadata
        : '';
    const parsed = JSON.parse(text) as Partial<MemberAnnouncement>;
    if (typeof parsed.member !== 'string' || !Array.isArray(parsed.owned)) return undefined;
    return {
      member: parsed.member,
      host: String(parsed.host ?? ''),
      pid: Number(parsed.pid ?? 0),
      owned: parsed.owned.filter((p): p is number => Number.isInteger(p)),
    };
  } catch {
    return undefined;
  }
}

/** Pure: who gets which partitions of `count`, keeping what members own where balance allows. */
export function planSticky(
  members: readonly { id: string; owned: readonly number[] }[],
  count: number,
): Map<string, number[]> {
  // Members owning most come first and get the larger shares, so fewer partitions move.
  const order = [...members].sort(
    (a, b) => b.owned.length - a.owned.length || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const plan = new Map<string, number[]>(order.map((m) => [m.id, []]));
  if (order.length === 0) return plan;
  const base = Math.floor(count / order.length);
  const quota = (i: number) => base + (i < count % order.length ? 1 : 0);
  const taken = new Set<number>();
  order.forEach((member, i) => {
    const mine = plan.get(member.id) as number[];
    for (const p of [...new Set(member.owned)].sort((a, b) => a - b)) {
      if (mine.length >= quota(i)) break;
      if (p >= 0 && p < count && !taken.has(p)) {
        taken.add(p);
        mine.push(p);
      }
    }
  });
  const free = [...Array(count).keys()].filter((p) => !taken.has(p));
  order.forEach((member, i) => {
    const mine = plan.get(member.id) as number[];
    while (mine.length < quota(i) && free.length > 0) mine.push(free.shift() as number);
    mine.sort((a, b) => a - b);
  });
  return plan;
}

export function stickyAssigner(
  _current: string,
  members: Map<string, ExtendedGroupProtocolSubscription>,
  topics: Set<string>,
  metadata: ClusterMetadata,
): GroupPartitionsAssignments[] {
  const out = new Map<string, GroupPartitionsAssignments>(
    [...members.keys()].map((memberId) => [memberId, { memberId, assignments: new Map() }]),
  );
  for (const topic of topics) {
    const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
    const plan = planSticky(
      [...members.entries()]
        .filter(([, m]) => m.topics?.includes(topic) ?? true)
        .map(([id, m]) => ({ id, owned: readAnnouncement(m.metadata)?.owned ?? [] })),
      count,
    );
    for (const [memberId, partitions] of plan) {
      out.get(memberId)?.assignments.set(topic, { topic, partitions });
    }
  }
  return [...out.values()];
}
