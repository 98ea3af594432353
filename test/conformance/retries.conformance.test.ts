/**
 * Retries: a handler that throws gets the event again after the backoff,
 * with its attempt counted, until it succeeds; meanwhile only its own stream
 * waits (`ordering: 'stream'`), and once it succeeds nothing of the failure
 * is left in the delivery store.
 */
import { expect, it } from 'vitest';
import { SCENARIOS, conformance } from '../support/conformance/scenarios.js';
import {
  Handlings,
  Workload,
  expectEachOnce,
  expectStreamOrder,
  preciseNow,
} from '../support/conformance/workload.js';
import { waitFor } from '../support/wait.js';

const DELAY_MS = 20;

conformance(SCENARIOS.retries, (h) => {
  it('retries an event that fails twice with the fixed backoff, and it succeeds on the third attempt', async () => {
    const { settleMs } = h.target.timing;
    const millrace = await h.open();
    const workload = new Workload(h.unique('order'), 10);
    const sent = await workload.publish(millrace, 60);
    const flaky = new Set(sent.filter((_, i) => i % 6 === 0).map((s) => s.id));
    const tries = new Map<string, { attempt: number; at: number }[]>();
    const failures: { id: string; attempt: number; message: string }[] = [];
    const handled = new Handlings();
    const name = h.unique('billing');
    const consumer = millrace.consumer({
      name,
      sequence: { category: workload.category },
      retry: { type: 'fixed', delayMs: DELAY_MS },
      handler: (event, context) => {
        tries.set(event.id, [
          ...(tries.get(event.id) ?? []),
          { attempt: context.attempt, at: preciseNow() },
        ]);
        if (flaky.has(event.id) && context.attempt < 3) {
          throw Object.assign(new Error(`flaky, attempt ${context.attempt}`), { code: 'FLAKY' });
        }
        handled.add(event, context);
      },
    });
    consumer.signals.on('failed', (event, _partition, attempt, error) =>
      failures.push({ id: event.id, attempt, message: (error as Error).message }),
    );
    await consumer.start();
    await handled.waitForAll(sent, 'every event, the flaky ones on their third attempt', settleMs);
    // Gone once the retried event succeeded: a success leaves no delivery record.
    await waitFor(
      async () =>
        (await millrace.deadLetters.list({ consumer: name, state: 'retryable' })).records.length ===
        0,
      'no retryable deliveries left',
      settleMs,
    );
    await consumer.stop();

    expectEachOnce(handled.all, sent);
    // A retrying event held back the later events of its stream.
    expectStreamOrder(handled.all);
    for (const { id } of sent) {
      const attempts = tries.get(id) ?? [];
      expect(attempts.map((a) => a.attempt)).toEqual(flaky.has(id) ? [1, 2, 3] : [1]);
      for (let i = 1; i < attempts.length; i++) {
        // Timers may fire a fraction of a millisecond early.
        expect(attempts[i]!.at - attempts[i - 1]!.at).toBeGreaterThanOrEqual(DELAY_MS - 1);
      }
    }
    expect(handled.all.filter((x) => flaky.has(x.id)).map((x) => x.attempt)).toEqual(
      [...flaky].map(() => 3),
    );
    expect(failures).toHaveLength(flaky.size * 2);
    expect(
      failures.every((f) => flaky.has(f.id) && f.message === `flaky, attempt ${f.attempt}`),
    ).toBe(true);
    expect((await millrace.deadLetters.list({ consumer: name })).records).toEqual([]);
  });
});
