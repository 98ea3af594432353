/**
 * Publishing features a provider may or may not have. Where it claims one,
 * the feature works; where it does not, the API refuses it up front with an
 * UnsupportedError instead of failing somewhere deep (the `lacking` tests).
 */
import { expect, it } from 'vitest';
import { UnsupportedError } from '../../src/index.js';
import { SCENARIOS, conformance } from '../support/conformance/scenarios.js';
import {
  Handlings,
  Workload,
  expectEachOnce,
  readCategory,
} from '../support/conformance/workload.js';

conformance(
  SCENARIOS.optimisticConcurrency,
  (h) => {
    it('appends at the expected version and refuses a stale one, writing nothing of its batch', async () => {
      const millrace = await h.open();
      const category = h.unique('order');
      const stream = `${category}-1`;
      await millrace.publish({ stream, subject: 'order.created', data: {}, expectedVersion: -1 });
      await millrace.publish({ stream, subject: 'order.paid', data: {}, expectedVersion: 0 });
      await expect(
        millrace.publishBatch([
          { stream: `${category}-2`, subject: 'order.created', data: {} },
          { stream, subject: 'order.paid', data: {}, expectedVersion: 0 },
        ]),
      ).rejects.toMatchObject({ code: 'conflict', reason: 'version_conflict' });
      const events = await readCategory(millrace, category, await h.instance());
      expect(events.map((e) => [e.stream, e.subject, e.version])).toEqual([
        [stream, 'order.created', 0],
        [stream, 'order.paid', 1],
      ]);
    });
  },
  (h) => {
    it('refuses expectedVersion with an UnsupportedError', async () => {
      const millrace = await h.open();
      await expect(
        millrace.publish({
          stream: `${h.unique('order')}-1`,
          subject: 'order.created',
          data: {},
          expectedVersion: -1,
        }),
      ).rejects.toBeInstanceOf(UnsupportedError);
    });
  },
);

conformance(
  SCENARIOS.transactionalPublish,
  (h) => {
    it('publishes inside the caller’s transaction: nothing if it rolls back, all of it once it commits', async () => {
      const transaction = (await h.instance()).transaction;
      if (transaction === undefined)
        throw new Error(`${h.target.name} claims transactionalPublish but offers no transaction`);
      const millrace = await h.open();
      const workload = new Workload(h.unique('order'), 4);
      const handled = new Handlings();
      await millrace
        .consumer({
          name: h.unique('billing'),
          sequence: { category: workload.category },
          handler: (event, context) => handled.add(event, context),
        })
        .start();

      const rolledBack = workload.inputs(5);
      await expect(
        transaction(async (tx) => {
          await millrace.publishBatch(rolledBack, { transaction: tx });
          throw new Error('the caller’s own work failed');
        }),
      ).rejects.toThrow('the caller’s own work failed');
      // The streams' places go to the committed events: the rolled-back ones never existed.
      const committed = rolledBack.map((input) => ({ ...input }));
      const results = await transaction((tx) =>
        millrace.publishBatch(committed, { transaction: tx }),
      );
      const sent = workload.record(committed, results);
      await handled.waitForAll(sent, 'the committed events', h.target.timing.settleMs);
      await millrace.close();
      expectEachOnce(handled.all, sent);
      const { events } = await (await h.open()).read({ sequence: { category: workload.category } });
      expect(events.map((e) => e.id)).toEqual(sent.map((s) => s.id));
    });
  },
  (h) => {
    it('refuses a transaction with an UnsupportedError', async () => {
      const millrace = await h.open();
      await expect(
        millrace.publish(
          { stream: `${h.unique('order')}-1`, subject: 'order.created', data: {} },
          { transaction: {} },
        ),
      ).rejects.toBeInstanceOf(UnsupportedError);
    });
  },
);

conformance(
  SCENARIOS.delayedEvents,
  (h) => {
    it('holds a delayed event back until its time, then hands it to consumers', async () => {
      const millrace = await h.open();
      const category = h.unique('order');
      const handled = new Handlings();
      await millrace
        .consumer({
          name: h.unique('billing'),
          sequence: { category },
          handler: (event, context) => handled.add(event, context),
        })
        .start();
      const deliverAt = new Date(Date.now() + 1000);
      const delayed = { stream: `${category}-1`, subject: 'order.reminded', data: { n: 0 } };
      const scheduled = await millrace.publish({ ...delayed, deliverAt });
      expect(scheduled).toMatchObject({ scheduled: true, deliverAt });
      const now = await millrace.publish({
        stream: `${category}-2`,
        subject: 'order.placed',
        data: { n: 0 },
      });
      await handled.waitForAll([now], 'an event published for now', h.target.timing.settleMs);
      expect(handled.ids().has(scheduled.id)).toBe(false);
      await handled.waitForAll([scheduled], 'the delayed event', h.target.timing.settleMs);
      const delivered = handled.all.find((x) => x.id === scheduled.id)!;
      expect(delivered.at).toBeGreaterThanOrEqual(deliverAt.getTime());
    });
  },
  (h) => {
    it('refuses a future deliverAt with an UnsupportedError', async () => {
      const millrace = await h.open();
      await expect(
        millrace.publish({
          stream: `${h.unique('order')}-1`,
          subject: 'order.created',
          data: {},
          deliverAt: new Date(Date.now() + 60_000),
        }),
      ).rejects.toBeInstanceOf(UnsupportedError);
    });
  },
);
