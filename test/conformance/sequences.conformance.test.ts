/**
 * Event sequences beyond a category: the whole log, and one stream. Kafka
 * reads topics (categories) only; elsewhere a log consumer gets every
 * category and a stream consumer one stream, in order.
 */
import { expect, it } from 'vitest';
import { SCENARIOS, conformance } from '../support/conformance/scenarios.js';
import {
  Handlings,
  Workload,
  expectEachOnce,
  expectStreamOrder,
} from '../support/conformance/workload.js';

conformance(SCENARIOS.logSequence, (h) => {
  it('hands a log consumer the events of every category', async () => {
    const millrace = await h.open();
    const orders = new Workload(h.unique('order'), 5);
    const invoices = new Workload(h.unique('invoice'), 5);
    const sent = [
      ...(await orders.publish(millrace, 30)),
      ...(await invoices.publish(millrace, 30)),
    ];
    const ours = new Set(sent.map((s) => s.id));
    const handled = new Handlings();
    const consumer = millrace.consumer({
      name: h.unique('audit'),
      sequence: 'log',
      // The namespace is shared with the file's other tests: keep to this test's events.
      handler: (event, context) => (ours.has(event.id) ? handled.add(event, context) : undefined),
    });
    await consumer.start();
    await handled.waitForAll(sent, 'both categories', h.target.timing.settleMs);
    await consumer.stop();
    expectEachOnce(handled.all, sent);
    expectStreamOrder(handled.all);
  });
});

conformance(SCENARIOS.streamSequence, (h) => {
  it('hands a stream consumer that stream’s events only, in order', async () => {
    const millrace = await h.open();
    const workload = new Workload(h.unique('order'), 4);
    await workload.publish(millrace, 60);
    const stream = workload.sent[0]!.stream;
    const ofStream = workload.sent.filter((s) => s.stream === stream);
    const handled = new Handlings();
    const consumer = millrace.consumer({
      name: h.unique('tracker'),
      sequence: { stream },
      handler: (event, context) => handled.add(event, context),
    });
    await consumer.start();
    await handled.waitForAll(ofStream, `the events of ${stream}`, h.target.timing.settleMs);
    await consumer.stop();
    expectEachOnce(handled.all, ofStream);
    expect(handled.all.map((x) => x.n)).toEqual(ofStream.map((_, i) => i));
  });
});
