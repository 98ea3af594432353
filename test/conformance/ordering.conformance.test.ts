/**
 * Order. Per stream it is the promise every provider keeps: a stream's
 * events are handled one after another in publish order, even while many
 * streams run side by side. One order over the whole log is a capability
 * (`globalOrder`): where a provider has it, positions follow publish order
 * across streams and a single ordered partition handles in exactly that
 * order; where it does not (Kafka: order per topic partition), only the
 * per-stream comparison applies.
 */
import { expect, it } from 'vitest';
import { comparePositions, type PublishedEvent } from '../../src/index.js';
import { SCENARIOS, conformance } from '../support/conformance/scenarios.js';
import {
  Handlings,
  Workload,
  expectEachOnce,
  expectStreamOrder,
} from '../support/conformance/workload.js';

conformance(SCENARIOS.streamOrder, (h) => {
  it('handles each stream in publish order while up to 8 handlers run at once', async () => {
    const millrace = await h.open();
    const workload = new Workload(h.unique('order'), 40);
    for (let batch = 0; batch < 3; batch++) await workload.publish(millrace, 200);
    const handled = new Handlings();
    let running = 0;
    let mostAtOnce = 0;
    const consumer = millrace.consumer({
      name: h.unique('billing'),
      sequence: { category: workload.category },
      ordering: 'stream',
      concurrency: 8,
      handler: async (event, context) => {
        running += 1;
        mostAtOnce = Math.max(mostAtOnce, running);
        // A little I/O of varying length, so streams overtake each other.
        await new Promise((resolve) => setTimeout(resolve, (event.data as { n: number }).n % 3));
        running -= 1;
        handled.add(event, context);
      },
    });
    await consumer.start();
    await handled.waitForAll(workload.sent, 'every event', h.target.timing.settleMs);
    await consumer.stop();

    expectEachOnce(handled.all, workload.sent);
    expectStreamOrder(handled.all);
    // Otherwise the order above would prove nothing about concurrent handling.
    expect(mostAtOnce).toBeGreaterThan(1);
    const streamsInterleaved = handled.all
      .slice(0, 50)
      .some((x, i, all) => i > 0 && x.stream !== all[i - 1]!.stream);
    expect(streamsInterleaved).toBe(true);
  });
});

conformance(SCENARIOS.globalOrder, (h) => {
  it('orders positions by publish across streams, and one ordered partition handles in exactly that order', async () => {
    const millrace = await h.open();
    const workload = new Workload(h.unique('order'), 10);
    const results: PublishedEvent[] = [];
    for (let round = 0; round < 4; round++) {
      const batch = workload.inputs(25);
      const published = await millrace.publishBatch(batch);
      workload.record(batch, published);
      const single = workload.inputs(1);
      const one = await millrace.publish(single[0]!);
      workload.record(single, [one]);
      results.push(...published, one);
    }
    const positions = results.map((r) => r.position);
    expect(positions.every((p, i) => i === 0 || comparePositions(positions[i - 1]!, p) < 0)).toBe(
      true,
    );

    const handled = new Handlings();
    const consumer = millrace.consumer({
      name: h.unique('ledger'),
      sequence: { category: workload.category },
      partitions: 1,
      ordering: 'partition',
      handler: (event, context) => handled.add(event, context),
    });
    await consumer.start();
    await handled.waitForAll(workload.sent, 'every event', h.target.timing.settleMs);
    await consumer.stop();
    expect(handled.all.map((x) => x.id)).toEqual(results.map((r) => r.id));
  });
});
