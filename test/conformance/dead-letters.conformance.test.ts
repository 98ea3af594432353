/**
 * Dead letters: an event that fails `maxAttempts` times is set aside with
 * its last error and the consumer moves on; an operator can list it, retry
 * it (its partition's owner handles it again, attempts counted afresh) or
 * discard it for good.
 */
import { expect, it } from 'vitest';
import { SCENARIOS, conformance } from '../support/conformance/scenarios.js';
import { Handlings, Workload, expectEachOnce } from '../support/conformance/workload.js';
import { waitFor } from '../support/wait.js';

conformance(SCENARIOS.deadLetters, (h) => {
  it('sets aside what fails maxAttempts times, with its error; retry brings one back, discard removes another', async () => {
    const { settleMs } = h.target.timing;
    const millrace = await h.open();
    const workload = new Workload(h.unique('order'), 8);
    const sent = await workload.publish(millrace, 40);
    const poison = sent.filter((_, i) => i % 10 === 3);
    const poisoned = new Set(poison.map((s) => s.id));
    const healthy = sent.filter((s) => !poisoned.has(s.id));
    let healed = false;
    const handled = new Handlings();
    const name = h.unique('billing');
    const consumer = millrace.consumer({
      name,
      sequence: { category: workload.category },
      maxAttempts: 2,
      retry: { type: 'fixed', delayMs: 20 },
      handler: (event, context) => {
        if (poisoned.has(event.id) && !healed) {
          throw Object.assign(new Error(`cannot bill ${event.stream}`), { code: 'POISON' });
        }
        handled.add(event, context);
      },
    });
    await consumer.start();
    await handled.waitForAll(healthy, 'the healthy events', settleMs);
    const letters = async () => (await millrace.deadLetters.list({ consumer: name })).records;
    await waitFor(
      async () => (await letters()).length === poison.length,
      'the dead letters',
      settleMs,
    );

    const listed = await letters();
    expect(listed.map((r) => r.event.id).sort()).toEqual([...poisoned].sort());
    for (const record of listed) {
      const original = poison.find((s) => s.id === record.event.id)!;
      expect(record).toMatchObject({
        consumer: name,
        state: 'discarded',
        attempts: 2,
        lastError: { message: `cannot bill ${original.stream}`, code: 'POISON' },
        event: { stream: original.stream, subject: original.subject, data: { n: original.n } },
      });
    }
    expect(
      (await millrace.deadLetters.list({ consumer: name, errorCode: 'POISON' })).records,
    ).toHaveLength(poison.length);
    expect(
      (await millrace.deadLetters.list({ consumer: name, errorCode: 'OTHER' })).records,
    ).toEqual([]);

    healed = true;
    const [retried, discarded, ...rest] = poison;
    expect(await millrace.deadLetters.retry({ consumer: name, eventId: retried!.id })).toBe(1);
    expect(await millrace.deadLetters.discard({ consumer: name, eventId: discarded!.id })).toBe(1);
    await handled.waitForAll([retried!], 'the retried dead letter', settleMs);
    expect(handled.all.find((x) => x.id === retried!.id)?.attempt).toBe(1);
    await waitFor(
      async () => (await letters()).every((r) => r.event.id !== retried!.id),
      'the retried dead letter gone from the list once handled',
      settleMs,
    );
    expect((await letters()).map((r) => r.event.id).sort()).toEqual(rest.map((s) => s.id).sort());
    await expect(millrace.deadLetters.get(name, discarded!.id)).rejects.toMatchObject({
      code: 'not_found',
    });

    expect(await millrace.deadLetters.discard({ consumer: name })).toBe(rest.length);
    expect(await letters()).toEqual([]);
    await consumer.stop();
    // The discarded ones were never handled; everything else exactly once.
    expectEachOnce(handled.all, [...healthy, retried!]);
  });
});
