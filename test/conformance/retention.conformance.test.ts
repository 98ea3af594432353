/**
 * Retention: pruning never deletes what a consumer has still to handle,
 * and says which consumer held it back; once the consumer is past, the
 * same prune deletes. Where a provider cannot prune, `prune` is refused.
 */
import { expect, it } from 'vitest';
import { SCENARIOS, conformance } from '../support/conformance/scenarios.js';
import { Handlings, Workload } from '../support/conformance/workload.js';

conformance(SCENARIOS.retention, (h) => {
  it('keeps what a consumer has not handled, naming it, and prunes once it is past', async () => {
    const millrace = await h.open();
    const workload = new Workload(h.unique('order'), 2);
    const sent = await workload.publish(millrace, 20);
    const name = h.unique('billing');
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const handled = new Handlings();
    const consumer = millrace.consumer({
      name,
      sequence: { category: workload.category },
      handler: async (event, context) => {
        await held;
        handled.add(event, context);
      },
    });
    await consumer.start();

    const blocked = await millrace.prune({ category: workload.category, keepLast: 1 });
    expect(blocked.deleted).toBe(0);
    expect(blocked.heldBy.map((hold) => hold.consumer)).toContain(name);

    release();
    await handled.waitForAll(sent, 'every event', h.target.timing.settleMs);
    await consumer.stop();
    const pruned = await millrace.prune({ category: workload.category, keepLast: 1 });
    expect(pruned.heldBy.map((hold) => hold.consumer)).not.toContain(name);
    expect(pruned.deleted).toBeGreaterThan(0);
    const { events } = await millrace.read({ sequence: { category: workload.category } });
    expect(events).toHaveLength(sent.length - pruned.deleted);
  });
});
