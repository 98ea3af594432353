/**
 * The delayed-event rules (test/support/delayed-suite.ts; the memory
 * provider runs them in test/unit) on every target that delays events, each
 * test on a namespace of its own. How a target without them refuses is in
 * publish-capabilities.conformance.test.ts.
 */
import { conformance, SCENARIOS } from '../support/conformance/scenarios.js';
import { delayedEventsSuite } from '../support/delayed-suite.js';

conformance(SCENARIOS.delayedEvents, (h) => {
  delayedEventsSuite(h.target.name, async () => {
    const instance = await h.target.setup();
    return {
      open: (options) => instance.open(options),
      close: () => instance.close(),
      categoryPartitions: instance.categoryPartitions,
    };
  });
});
