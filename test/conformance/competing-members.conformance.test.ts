/**
 * Competing members: members running one consumer name share its
 * partitions, each partition worked by one member, and when nothing fails
 * every event is handled once, by the member owning its partition. In one
 * process (each member its own Millrace instance, as another process would
 * be) on every target, and as real processes where the namespace can be
 * shared with them.
 */
import { afterEach, expect, it } from 'vitest';
import type { Consumer } from '../../src/index.js';
import {
  ChildMember,
  destroyAllChildren,
  waitWithMembers,
} from '../support/conformance/child-members.js';
import { SCENARIOS, conformance } from '../support/conformance/scenarios.js';
import { isSplit, waitForSplit } from '../support/conformance/split.js';
import {
  Handlings,
  Workload,
  expectEachOnce,
  expectStreamOrder,
  type Handling,
} from '../support/conformance/workload.js';

afterEach(destroyAllChildren);

/** Each member handled some events, and only of partitions no other member handled. */
function expectOwnersApart(handlings: readonly Handling[], members: readonly string[]): void {
  const ownerOf = new Map<number, Set<string>>();
  for (const h of handlings)
    ownerOf.set(h.partition, (ownerOf.get(h.partition) ?? new Set()).add(h.member));
  expect([...ownerOf].filter(([, owners]) => owners.size > 1)).toEqual([]);
  expect(members.filter((m) => !handlings.some((h) => h.member === m))).toEqual([]);
}

conformance(SCENARIOS.competingMembers, (h) => {
  it('splits the partitions between three members, each event handled once by its partition’s owner', async () => {
    const { settleMs } = h.target.timing;
    const workload = new Workload(h.unique('order'), 60);
    const name = h.unique('billing');
    const handled = new Handlings();
    // Started together: their first registrations race (to build an index,
    // to create a topic, to join a group), as processes starting together do.
    const members = await Promise.all(
      ['a', 'b', 'c'].map(async (label) => {
        const millrace = await h.open();
        const consumer: Consumer = millrace.consumer({
          name,
          sequence: { category: workload.category },
          handler: (event, context) => handled.add(event, context, label),
        });
        await consumer.start();
        return { label, consumer };
      }),
    );
    // Publish only once they share the partitions: a rebalance with events in
    // flight may hand some over twice on providers with eager rebalancing.
    const owned = () => members.map((m) => m.consumer.partitions);
    await waitForSplit(owned, 'three members sharing 8 partitions', settleMs);
    const split = owned();

    const publisher = await h.open();
    for (let batch = 0; batch < 3; batch++) await workload.publish(publisher, 100);
    await handled.waitForAll(workload.sent, 'every event', settleMs);
    expect(owned()).toEqual(split);
    await Promise.all(members.map((m) => m.consumer.stop()));

    expectEachOnce(handled.all, workload.sent);
    expectStreamOrder(handled.all);
    expectOwnersApart(handled.all, ['a', 'b', 'c']);
    members.forEach((member, i) => {
      const partitions = new Set(handled.of(member.label).map((x) => x.partition));
      expect([...partitions].every((p) => split[i]!.includes(p))).toBe(true);
    });
  });
});

conformance(SCENARIOS.competingProcesses, (h) => {
  it('splits the partitions between two member processes, each event handled once', async () => {
    const { settleMs } = h.target.timing;
    const spec = (await h.instance()).processSpec!;
    const workload = new Workload(h.unique('order'), 60);
    const options = {
      spec,
      consumer: h.unique('billing'),
      category: workload.category,
      sessionTimeoutMs: h.target.timing.sessionTimeoutMs,
    };
    const members = [
      new ChildMember({ ...options, label: 'a' }),
      new ChildMember({ ...options, label: 'b' }),
    ];
    await Promise.all(members.map((m) => m.ready(settleMs)));
    await waitWithMembers(
      members,
      () => isSplit(members.map((m) => m.partitions)),
      'two processes sharing 8 partitions',
      settleMs,
    );

    const publisher = await h.open();
    for (let batch = 0; batch < 3; batch++) await workload.publish(publisher, 100);
    const handled = new Handlings();
    const everyHandling = () => members.flatMap((m) => m.handlings);
    await waitWithMembers(
      members,
      () => {
        const ids = new Set(everyHandling().map((x) => x.id));
        return workload.sent.every((s) => ids.has(s.id));
      },
      'every event handled by one process or the other',
      settleMs,
    );
    await Promise.all(members.map((m) => m.terminate()));
    handled.push(...everyHandling());

    expectEachOnce(handled.all, workload.sent);
    expectStreamOrder(handled.all);
    expectOwnersApart(handled.all, ['a', 'b']);
  });
});
