/**
 * The happy path every provider must get exactly right: what is published
 * reaches a consumer once, as it was published; and two consumers each get
 * all of it (fan-out), however late the second one starts.
 */
import { expect, it } from 'vitest';
import type { Event, EventInput } from '../../src/index.js';
import { SCENARIOS, conformance } from '../support/conformance/scenarios.js';
import { Handlings, Workload, expectEachOnce } from '../support/conformance/workload.js';

conformance(SCENARIOS.publishConsume, (h) => {
  it('hands every event to one consumer exactly once, with stream, subject, data and metadata intact', async () => {
    const { settleMs } = h.target.timing;
    const millrace = await h.open();
    const category = h.unique('order');
    const elsewhere = h.unique('invoice');
    const workload = new Workload(category, 25);
    const inputs: EventInput[] = workload.inputs(150).map((input, i) => ({
      ...input,
      subject: i % 3 === 0 ? 'order.created' : 'order.paid.card',
      data: {
        n: (input.data as { n: number }).n,
        text: `ünï ${i} "quoted"`,
        list: [i, null, true, { deep: 1.5 }],
      },
      metadata: { correlationId: `corr-${i}`, trace: { parent: `00-${i}` } },
    }));
    // Another category's events first: a category consumer must never see them.
    await millrace.publishBatch(
      Array.from({ length: 10 }, (_, i) => ({
        stream: `${elsewhere}-${i}`,
        subject: 'order.created',
        data: { n: 0 },
      })),
    );
    const publishedFrom = Date.now();
    const results = [...(await millrace.publishBatch(inputs.slice(0, 140)))];
    for (const input of inputs.slice(140)) results.push(await millrace.publish(input));
    const sent = workload.record(inputs, results);
    expect(new Set(results.map((r) => r.id)).size).toBe(inputs.length);

    const handled = new Handlings();
    const events = new Map<string, Event>();
    const consumer = millrace.consumer({
      name: h.unique('billing'),
      sequence: { category },
      handler: (event, context) => {
        events.set(event.id, event);
        handled.add(event, context);
      },
    });
    await consumer.start();
    await handled.waitForAll(sent, 'the published events', settleMs);
    await consumer.stop();

    expectEachOnce(handled.all, sent);
    expect(handled.all.every((x) => x.attempt === 1)).toBe(true);
    inputs.forEach((input, i) => {
      const event = events.get(sent[i]!.id);
      expect(event).toMatchObject({
        id: sent[i]!.id,
        stream: input.stream,
        category,
        subject: input.subject,
        data: input.data,
        metadata: input.metadata,
      });
      expect(typeof event?.position).toBe('string');
      expect(event?.time).toBeInstanceOf(Date);
      // Stamped when published, by this machine's clock or the backend's (same host).
      expect(Math.abs((event?.time.getTime() ?? 0) - publishedFrom)).toBeLessThan(60_000);
    });
  });
});

conformance(SCENARIOS.fanOut, (h) => {
  it('gives every event to each of two consumers, the second starting after the first is done', async () => {
    const { settleMs } = h.target.timing;
    const millrace = await h.open();
    const workload = new Workload(h.unique('order'), 20);
    const first = await workload.publish(millrace, 80);
    const consumerOf = (name: string, handled: Handlings) =>
      millrace.consumer({
        name,
        sequence: { category: workload.category },
        handler: (event, context) => handled.add(event, context),
      });
    const billing = new Handlings();
    const shipping = new Handlings();
    await consumerOf(h.unique('billing'), billing).start();
    await billing.waitForAll(first, 'billing', settleMs);
    await consumerOf(h.unique('shipping'), shipping).start();
    await shipping.waitForAll(first, 'shipping, started later from the beginning', settleMs);

    const later = await workload.publish(millrace, 20);
    await billing.waitForAll(later, 'billing, live', settleMs);
    await shipping.waitForAll(later, 'shipping, live', settleMs);
    await millrace.close();
    expectEachOnce(billing.all, workload.sent);
    expectEachOnce(shipping.all, workload.sent);
  });
});
