/**
 * Retention: pruning never deletes what a consumer has still to handle,
 * and says which consumer held it back; once the consumer is past, the
 * same prune deletes. Then the retention rules (test/support/retention-suite.ts;
 * the memory provider runs them in test/unit), each test on a namespace of
 * its own. Where a provider cannot prune, `prune` is refused.
 */
import { afterEach, expect, it } from 'vitest';
import { comparePositions } from '../../src/index.js';
import type { TargetInstance } from '../support/conformance/targets.js';
import { SCENARIOS, conformance } from '../support/conformance/scenarios.js';
import { Handlings, Workload, readCategory } from '../support/conformance/workload.js';
import { retentionSuite } from '../support/retention-suite.js';

conformance(SCENARIOS.retention, (h) => {
  const instances: TargetInstance[] = [];
  afterEach(async () => {
    await Promise.all(instances.splice(0).map((instance) => instance.close()));
  });
  retentionSuite(
    h.target.name,
    async () => {
      const instance = await h.target.setup();
      instances.push(instance);
      const { ageEvents } = instance;
      if (ageEvents === undefined) {
        throw new Error(`target ${h.target.name} claims retention but cannot age its events`);
      }
      return {
        open: (options) => instance.open(options),
        categoryPartitions: instance.categoryPartitions,
        async publishAged(millrace, events, ageMs) {
          const published = await millrace.publishBatch(events);
          // The highest: where positions are per partition, the last is not always it.
          const highest = published
            .map((p) => p.position)
            .reduce((high, p) => (comparePositions(p, high) > 0 ? p : high), '0');
          await ageEvents(highest, ageMs);
        },
      };
    },
    { sequences: h.target.capabilities.sequences },
  );
});

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
    const events = await readCategory(millrace, workload.category, await h.instance());
    expect(events).toHaveLength(sent.length - pruned.deleted);
  });
});
