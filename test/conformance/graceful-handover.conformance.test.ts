/**
 * Graceful handover: a member that stops (drain, commit, leave) while events
 * keep coming hands every partition to the member that stays, and nothing is
 * handled twice: not what it finished before the stop, not what was in
 * flight during it, not what came after. And a member that joins takes its
 * share from one that handled events it had not committed yet: they are
 * committed before the partitions move (with millrace's allocator, by the
 * cooperative handover; on Kafka's eager protocol, by handing everything
 * over before rejoining), so nothing is handled twice there either.
 */
import { expect, it } from 'vitest';
import { waitForCommitted } from '../support/conformance/commits.js';
import type { Harness } from '../support/conformance/harness.js';
import { SCENARIOS, conformance } from '../support/conformance/scenarios.js';
import { PARTITIONS, waitForSplit } from '../support/conformance/split.js';
import {
  Handlings,
  Workload,
  expectEachOnce,
  expectStreamOrder,
  preciseNow,
} from '../support/conformance/workload.js';
import { waitFor } from '../support/wait.js';

async function member(
  h: Harness,
  name: string,
  category: string,
  handled: Handlings,
  label: string,
  commitIntervalMs = 50,
) {
  const millrace = await h.open();
  const consumer = millrace.consumer({
    name,
    sequence: { category },
    commitIntervalMs,
    handler: (event, context) => handled.add(event, context, label),
  });
  await consumer.start();
  return { millrace, consumer };
}

/** Member a alone, owning every partition, once it has handled 200 events. */
async function aloneWith200(h: Harness, commitIntervalMs?: number) {
  const { settleMs } = h.target.timing;
  const workload = new Workload(h.unique('order'), 48);
  const name = h.unique('billing');
  const handled = new Handlings();
  const publisher = await h.open();
  const a = await member(h, name, workload.category, handled, 'a', commitIntervalMs);
  await waitFor(
    () => a.consumer.partitions.length === PARTITIONS,
    'a owning every partition',
    settleMs,
  );
  const before = await workload.publish(publisher, 200);
  await handled.waitForAll(before, 'events published before b joins', settleMs);
  return { workload, name, handled, publisher, a, before };
}

conformance(SCENARIOS.gracefulHandover, (h) => {
  it('hands every partition to the member that stays when the other stops, redoing nothing', async () => {
    const { settleMs } = h.target.timing;
    const { workload, name, handled, publisher, a, before } = await aloneWith200(h);
    await waitForCommitted(a.millrace, name, handled.all, settleMs);

    const b = await member(h, name, workload.category, handled, 'b');
    const owned = () => [a.consumer.partitions, b.consumer.partitions];
    await waitForSplit(owned, 'a and b sharing the partitions', settleMs);

    // Events flow into every partition while a stops.
    const trickle = workload.publishSteadily(publisher, 8, 10);
    let closedAt: number;
    try {
      await waitFor(
        () => handled.of('b').length >= 20 && handled.of('a').length >= before.length + 20,
        'both members handling the trickle',
        settleMs,
      );
      await a.millrace.close();
      closedAt = preciseNow();
      await waitFor(
        () => b.consumer.partitions.length === PARTITIONS,
        'b owning every partition',
        settleMs,
      );
    } finally {
      await trickle.stop();
    }
    const after = await workload.publish(publisher, 100);
    await handled.waitForAll(workload.sent, 'every event, the last ones by b alone', settleMs);
    await b.consumer.stop();

    expectEachOnce(handled.all, workload.sent);
    expectStreamOrder(handled.all);
    // a did nothing once its close returned; b got the events published after.
    expect(handled.of('a').filter((x) => x.at > closedAt)).toEqual([]);
    const afterIds = new Set(after.map((s) => s.id));
    expect(handled.all.filter((x) => afterIds.has(x.id)).every((x) => x.member === 'b')).toBe(true);
  });

  it('lets a joining member take its share of work the other handled but had not committed, redoing nothing', async () => {
    const { settleMs } = h.target.timing;
    // a commits only when it hands partitions over (or every minute): its work stays uncommitted.
    const { workload, name, handled, publisher, a } = await aloneWith200(h, 60_000);

    const b = await member(h, name, workload.category, handled, 'b');
    const owned = () => [a.consumer.partitions, b.consumer.partitions];
    await waitForSplit(owned, 'a and b sharing the partitions', settleMs);
    const after = await workload.publish(publisher, 100);
    await handled.waitForAll(workload.sent, 'every event, before and after b joined', settleMs);
    await Promise.all([a.consumer.stop(), b.consumer.stop()]);

    expectEachOnce(handled.all, workload.sent);
    expectStreamOrder(handled.all);
    // b took a share: some events published after it joined were its own.
    const afterIds = new Set(after.map((sent) => sent.id));
    expect(handled.of('b').some((x) => afterIds.has(x.id))).toBe(true);
  });
});
