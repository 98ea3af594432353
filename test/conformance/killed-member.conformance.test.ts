/**
 * kill -9 of a member process while events flow: no drain, no commit, no
 * leave. The other member must take over all its partitions within the
 * session timeout (plus time to notice and reassign), every event published
 * before, around and after the kill must be handled at least once, and per
 * stream the first handlings must stay in publish order. Events the victim
 * handled but had not committed may be handled again by the survivor, and
 * only those: the survivor redoes nothing of its own partitions.
 */
import { afterEach, expect, it } from 'vitest';
import {
  ChildMember,
  destroyAllChildren,
  waitWithMembers,
} from '../support/conformance/child-members.js';
import { SCENARIOS, conformance } from '../support/conformance/scenarios.js';
import { PARTITIONS, isSplit } from '../support/conformance/split.js';
import {
  Workload,
  duplicates,
  expectStreamOrder,
  preciseNow,
} from '../support/conformance/workload.js';

afterEach(destroyAllChildren);

conformance(SCENARIOS.killedMember, (h) => {
  it('moves a killed member’s partitions to the survivor, and every event is handled at least once, in stream order', async () => {
    const { settleMs, sessionTimeoutMs, recoveryMs } = h.target.timing;
    const spec = (await h.instance()).processSpec!;
    const workload = new Workload(h.unique('order'), 64);
    const options = {
      spec,
      consumer: h.unique('billing'),
      category: workload.category,
      sessionTimeoutMs,
    };
    // The first one started is the likelier to run the allocator (with
    // millrace's own allocation): the harder death.
    const victim = new ChildMember({ ...options, label: 'victim' });
    await victim.ready(settleMs);
    const survivor = new ChildMember({ ...options, label: 'survivor' });
    await survivor.ready(settleMs);
    const members = [victim, survivor];
    await waitWithMembers(
      members,
      () => isSplit(members.map((m) => m.partitions)),
      'an even split',
      settleMs,
    );
    const victimOwned = victim.partitions;
    const survivorOwned = survivor.partitions;

    const publisher = await h.open();
    const trickle = workload.publishSteadily(publisher, 10, 20);
    try {
      await waitWithMembers(
        members,
        () => victim.handlings.length >= 50 && survivor.handlings.length >= 50,
        'both members handling',
        settleMs,
      );
      const killedAt = preciseNow();
      victim.kill();
      await victim.exited;
      const takenOver = () =>
        victimOwned.every((p) =>
          survivor.handlings.some((x) => x.partition === p && x.at > killedAt),
        );
      await waitWithMembers(
        [survivor],
        takenOver,
        'the survivor handling the victim’s partitions',
        settleMs,
      );
      const recovered = Math.max(
        ...victimOwned.map(
          (p) => survivor.handlings.find((x) => x.partition === p && x.at > killedAt)!.at,
        ),
      );
      console.log(
        `[${h.target.name}] kill -9: ${victimOwned.length} partitions handled elsewhere after ${Math.round(recovered - killedAt)} ms`,
      );
      expect(recovered - killedAt).toBeLessThanOrEqual(recoveryMs);
      expect(survivor.partitions).toEqual(Array.from({ length: PARTITIONS }, (_, p) => p));
      // Events published after the takeover too.
      const handledAfter = survivor.handlings.length;
      await waitWithMembers(
        [survivor],
        () => survivor.handlings.length >= handledAfter + 100,
        'more events',
        settleMs,
      );
    } finally {
      await trickle.stop();
    }

    await waitWithMembers(
      [survivor],
      () => {
        const ids = new Set(
          survivor.handlings.map((x) => x.id).concat(victim.handlings.map((x) => x.id)),
        );
        return workload.sent.every((s) => ids.has(s.id));
      },
      `all ${workload.sent.length} published events handled at least once`,
      settleMs,
    );
    await survivor.terminate();
    const all = [...victim.handlings, ...survivor.handlings];
    expectStreamOrder(all);
    const published = new Set(workload.sent.map((s) => s.id));
    expect(all.filter((x) => !published.has(x.id))).toEqual([]);
    const redone = new Set(duplicates(all));
    const redonePartitions = new Set(all.filter((x) => redone.has(x.id)).map((x) => x.partition));
    expect([...redonePartitions].filter((p) => survivorOwned.includes(p))).toEqual([]);
  });
});
