/**
 * The consumer runtime's delivery rules on every target: retries, dead
 * letters, handler decisions, the three orderings under failure, the low
 * watermark, attempts across a restart, ack timeouts, at-most-once and
 * replay (test/support/delivery-suite.ts; the memory provider runs it in
 * test/unit). Each test gets a namespace of its own whose consumers read one
 * partition, which Kafka fixes when it creates a topic.
 */
import { conformance, SCENARIOS } from '../support/conformance/scenarios.js';
import { deliverySuite } from '../support/delivery-suite.js';

conformance(SCENARIOS.deliveryRules, (h) => {
  deliverySuite(
    async () => {
      const instance = await h.target.setup({ partitions: 1 });
      return { open: () => instance.open(), close: () => instance.close() };
    },
    {
      // A group's offsets are set only while it is empty where the backend allocates (Kafka).
      resetWhileRunning: h.target.capabilities.allocation === 'millrace',
      // Where positions are per partition, a category's partitions are the backend's.
      categoryPartitions: h.target.capabilities.globalOrder ? undefined : 1,
    },
  );
});
