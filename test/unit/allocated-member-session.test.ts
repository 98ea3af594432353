/**
 * Member sessions against the memory store, with rebalances driven by hand,
 * one at a time, so the interleavings that are rare with a live allocator
 * (a member reading its assignment only after two rebalances) are exact.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { planAllocation } from '../../src/core/kit/allocation/plan-allocation.js';
import type { Leadership } from '../../src/core/contracts/elector.js';
import type { AllocationState } from '../../src/core/contracts/membership-store.js';
import type { Assignment } from '../../src/core/contracts/membership.js';
import { AllocatedMemberSession } from '../../src/core/kit/membership/allocated-member-session.js';
import { MemoryData } from '../../src/providers/memory/memory-data.js';
import { MemoryLeaseElector } from '../../src/providers/memory/memory-lease-elector.js';
import { MemoryMembershipStore } from '../../src/providers/memory/memory-membership-store.js';
import { MemoryPositions } from '../../src/providers/memory/memory-positions.js';
import { recordingLogger } from '../support/wait.js';

const CONSUMER = 'work';
const sessions: AllocatedMemberSession[] = [];
const electors: MemoryLeaseElector[] = [];

afterEach(async () => {
  for (const session of sessions.splice(0)) session.close();
  await Promise.all(electors.splice(0).map((e) => e.stop()));
});

async function setup(partitions: number) {
  const data = new MemoryData();
  const open = () => undefined;
  const store = new MemoryMembershipStore(data, open);
  const positions = new MemoryPositions(data, open);
  data.consumers.set(CONSUMER, {
    name: CONSUMER,
    sequence: { kind: 'log' },
    subjects: [],
    partitions,
    maxAttempts: 1,
    createdAt: new Date(),
    updatedAt: new Date(),
  });
  const elector = new MemoryLeaseElector(
    data.membership,
    { holder: 'leader', host: 'h', pid: 1, ttlMs: 60_000, intervalMs: 60_000 },
    open,
  );
  electors.push(elector);
  await elector.start(() => undefined);
  const leadership = elector.current() as Leadership;
  const logger = recordingLogger();

  /** A member that hears of changes only when told to refresh (its notifications are slow). */
  async function member(id: string) {
    const session = new AllocatedMemberSession(
      store,
      positions,
      {
        consumer: CONSUMER,
        partitions,
        member: { id, host: 'h', pid: 1 },
        sessionTimeoutMs: 60_000,
        heartbeatIntervalMs: 20_000,
      },
      logger,
      { closed: () => undefined, left: () => undefined },
    );
    sessions.push(session);
    const seen: Assignment[] = [];
    session.onAssignment((assignment) => seen.push(assignment));
    await session.open();
    return { id, session, seen };
  }

  const rebalance = async () => {
    const loaded = (await store.loadAllocation(CONSUMER)) as AllocationState;
    return store.applyAllocation(loaded, planAllocation(loaded), leadership);
  };
  const owners = async () =>
    (await store.describe(CONSUMER)).owners.map((o) => (o.revoking ? `${o.member}*` : o.member));
  return { store, member, rebalance, owners };
}

describe('a member session', () => {
  it('hands back at once a partition revoked before it ever reported it', async () => {
    const { member, rebalance, owners } = await setup(4);
    const a = await member('a');
    await rebalance();
    await a.session.refresh();
    const b = await member('b');
    await rebalance(); // a is asked for 2 and 3
    await a.session.refresh();
    expect(a.session.current().partitions).toEqual([0, 1]);
    await a.session.release([2, 3]);
    await rebalance(); // b gets 2 and 3, but does not read its assignment yet
    await member('c');
    await rebalance(); // b is asked for 3, which it never saw
    expect(await owners()).toEqual(['a', 'a', 'b', 'b*']);
    await b.session.refresh();
    expect(b.session.current().partitions).toEqual([2]);
    // Nobody would ever release 3 (b's consumer never started it): the session does.
    expect(await owners()).toEqual(['a', 'a', 'b', null]);
    await rebalance();
    expect(await owners()).toEqual(['a', 'a', 'b', 'c']);
  });

  it('keeps a partition it was told to let go if the allocator kept it before the release', async () => {
    const { member, rebalance, owners } = await setup(2);
    const a = await member('a');
    await rebalance();
    await a.session.refresh();
    const b = await member('b');
    await rebalance(); // a is asked for 1
    await a.session.refresh();
    expect(a.seen.at(-1)?.partitions).toEqual([0]);
    // While a's consumer drains 1, b leaves: the allocator keeps 1 with a.
    await b.session.leave();
    await rebalance();
    await a.session.refresh();
    expect(a.seen.at(-1)?.partitions).toEqual([0, 1]);
    // a's consumer, done draining, releases 1; it is about to work it again
    // under the newer assignment, so 1 must stay a's, or a newcomer would
    // get it while a works it.
    await a.session.release([1]);
    expect(await owners()).toEqual(['a', 'a']);
  });
});
