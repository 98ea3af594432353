/**
 * Subject patterns: `*` is exactly one token, a final `>` one or more. Each
 * consumer must get the matching events and nothing else. Every stream ends
 * with an event all three patterns match, so once a consumer has it from
 * every stream it has gone past everything before it (order holds per
 * stream), and anything it has not handled by then it skipped.
 */
import { expect, it } from 'vitest';
import { SCENARIOS, conformance } from '../support/conformance/scenarios.js';
import { Handlings, Workload, expectEachOnce } from '../support/conformance/workload.js';

/** Subject → which of the patterns below match it, written out by hand. */
const SUBJECTS: Record<string, { created: boolean; everything: boolean; paid: boolean }> = {
  'order.created': { created: true, everything: true, paid: false },
  'order.paid': { created: false, everything: true, paid: false },
  'order.paid.card': { created: true, everything: true, paid: true },
  'order.paid.card.3ds': { created: false, everything: true, paid: true },
  'order.cancelled': { created: false, everything: true, paid: false },
  'orders.created': { created: false, everything: false, paid: false },
  'order.paid.final': { created: true, everything: true, paid: true },
};

const PATTERNS = {
  created: ['order.created', 'order.paid.*'],
  everything: ['order.>'],
  paid: ['order.paid.>'],
} as const;

conformance(SCENARIOS.subjectFilters, (h) => {
  it('hands each consumer exactly the events its subject patterns match', async () => {
    const millrace = await h.open();
    const workload = new Workload(h.unique('order'), 12);
    const streams = Array.from({ length: workload.streams }, (_, s) => `${workload.category}-${s}`);
    const body = Object.keys(SUBJECTS).filter((subject) => subject !== 'order.paid.final');
    const inputs = [
      ...Array.from({ length: 84 }, (_, i) => ({
        stream: streams[i % streams.length]!,
        subject: body[(i * 5) % body.length]!,
        data: { n: i },
      })),
      ...streams.map((stream, i) => ({
        stream,
        subject: 'order.paid.final',
        data: { n: 1000 + i },
      })),
    ];
    const sent = workload.record(inputs, await millrace.publishBatch(inputs));
    const finals = sent.filter((s) => s.subject === 'order.paid.final');

    const results = await Promise.all(
      (Object.keys(PATTERNS) as (keyof typeof PATTERNS)[]).map(async (key) => {
        const handled = new Handlings();
        const consumer = millrace.consumer({
          name: h.unique(key),
          sequence: { category: workload.category },
          subjects: [...PATTERNS[key]],
          handler: (event, context) => handled.add(event, context),
        });
        await consumer.start();
        await handled.waitForAll(
          finals,
          `${key}: every stream's last event`,
          h.target.timing.settleMs,
        );
        await consumer.stop();
        return { key, handled };
      }),
    );
    for (const { key, handled } of results) {
      const matching = sent.filter((s) => SUBJECTS[s.subject]![key]);
      expect(matching.length).toBeGreaterThan(finals.length);
      expectEachOnce(handled.all, matching);
    }
  });
});
