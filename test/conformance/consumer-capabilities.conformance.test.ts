/**
 * Consumer features a provider may or may not have: handling inside the
 * transaction that stores the position (effectively-once), and push
 * wake-ups. Where claimed they work; effectively-once where not claimed is
 * refused when the consumer is made.
 */
import { expect, it } from 'vitest';
import { ValidationError } from '../../src/index.js';
import { SCENARIOS, conformance } from '../support/conformance/scenarios.js';
import { Handlings, Workload, expectEachOnce } from '../support/conformance/workload.js';

/** What both a `pg` client and a PGlite transaction offer. */
interface Queryable {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
}

conformance(
  SCENARIOS.transactionalHandling,
  (h) => {
    it('rolls back what a failed attempt wrote through its transaction, and keeps what the successful one wrote', async () => {
      const instance = await h.instance();
      if (instance.transaction === undefined)
        throw new Error(`${h.target.name} claims transactionalHandling but offers no transaction`);
      const table = h.unique('effects');
      await instance.transaction((tx) =>
        (tx as Queryable).query(`CREATE TABLE ${table} (event_id text, attempt int)`),
      );
      try {
        const millrace = await h.open();
        const workload = new Workload(h.unique('order'), 5);
        const sent = await workload.publish(millrace, 30);
        const handled = new Handlings();
        await millrace
          .consumer({
            name: h.unique('ledger'),
            sequence: { category: workload.category },
            delivery: 'effectively-once',
            ordering: 'partition',
            retry: { type: 'fixed', delayMs: 10 },
            handler: async (event, context) => {
              const tx = context.transaction as Queryable;
              await tx.query(`INSERT INTO ${table} VALUES ($1, $2)`, [event.id, context.attempt]);
              if (context.attempt === 1 && (event.data as { n: number }).n % 2 === 0)
                throw new Error('after writing');
              handled.add(event, context);
            },
          })
          .start();
        await handled.waitForAll(sent, 'every event', h.target.timing.settleMs);
        await millrace.close();
        expectEachOnce(handled.all, sent);
        const rows = await instance.transaction(
          async (tx) =>
            (await (tx as Queryable).query(`SELECT event_id, attempt FROM ${table}`)).rows as {
              event_id: string;
              attempt: number;
            }[],
        );
        // One row per event, from its successful attempt only.
        expect(rows.map((r) => r.event_id).sort()).toEqual(sent.map((s) => s.id).sort());
        const attempts = new Map(rows.map((r) => [r.event_id, r.attempt]));
        expect(sent.every((s) => attempts.get(s.id) === (s.n % 2 === 0 ? 2 : 1))).toBe(true);
      } finally {
        await instance.transaction((tx) => (tx as Queryable).query(`DROP TABLE ${table}`));
      }
    });
  },
  (h) => {
    it('refuses an effectively-once consumer with a ValidationError', async () => {
      const millrace = await h.open();
      expect(() =>
        millrace.consumer({
          name: h.unique('ledger'),
          sequence: { category: h.unique('order') },
          delivery: 'effectively-once',
          ordering: 'partition',
          handler: () => undefined,
        }),
      ).toThrow(ValidationError);
    });
  },
);

conformance(SCENARIOS.wakeups, (h) => {
  it('wakes an idle consumer at once when another instance publishes, long before its poll interval', async () => {
    const consuming = await h.open();
    const workload = new Workload(h.unique('order'), 3);
    const handled = new Handlings();
    const consumer = consuming.consumer({
      name: h.unique('billing'),
      sequence: { category: workload.category },
      pollIntervalMs: 120_000,
      handler: (event, context) => handled.add(event, context),
    });
    await consumer.start();
    // Past its first reads: every partition idle, waiting for a wake-up or the poll.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const publisher = await h.open();
    const publishedAt = Date.now();
    const sent = await workload.publish(publisher, 3);
    await handled.waitForAll(sent, 'the events', h.target.timing.settleMs);
    // Woken, not polled: the next poll is two minutes away.
    expect(Date.now() - publishedAt).toBeLessThan(10_000);
  });
});
