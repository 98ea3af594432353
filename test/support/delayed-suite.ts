/**
 * What every provider with `capabilities.delayedEvents` must do, through the
 * public API only: run on the memory provider in the unit tier and on
 * PostgreSQL and PGlite in the integration tier.
 */
import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  FencedError,
  ValidationError,
  type Event,
  type Millrace,
  type MillraceOptions,
  type PublishInput,
} from '../../src/index.js';
import { readPartitions } from './read-log.js';
import { PATIENCE, recordingLogger, waitFor } from './wait.js';

export interface DelayedBackend {
  /** Opens another instance on the same data, as another process would. */
  open(options?: Omit<MillraceOptions, 'provider'>): Promise<Millrace>;
  close(): Promise<void>;
  /**
   * Where the log has no one order and a category's partitions are the
   * backend's (Redis streams), how many a new category gets: the log is then
   * read as the suite's one category, partition by partition, and order is
   * checked per stream.
   */
  readonly categoryPartitions?: number;
}

export function at(msFromNow: number): Date {
  return new Date(Date.now() + msFromNow);
}

/** Every event in the log (see DelayedBackend.categoryPartitions). */
export async function logged(
  millrace: Millrace,
  { categoryPartitions: partitions }: Partial<DelayedBackend> = {},
): Promise<readonly Event[]> {
  if (partitions === undefined) return (await millrace.read({ limit: 10_000 })).events;
  return readPartitions(millrace, 'order', partitions);
}

/** The events' data in log order, or, where the log has no one order, stream by stream. */
function inOrder(
  events: readonly { stream: string; data: unknown }[],
  { categoryPartitions }: DelayedBackend,
): unknown[] {
  if (categoryPartitions === undefined) return events.map((e) => e.data);
  return [...events].sort((a, b) => a.stream.localeCompare(b.stream)).map((e) => e.data);
}

const ok = { stream: 'order-1', subject: 'order.created', data: 1 };

export function delayedEventsSuite(name: string, setup: () => Promise<DelayedBackend>): void {
  describe(`delayed events on ${name}`, () => {
    async function opened(): Promise<{ backend: DelayedBackend; millrace: Millrace }> {
      const backend = await setup();
      return { backend, millrace: await backend.open({ logger: recordingLogger() }) };
    }

    it('are not in the log before their time, and are delivered after it', async () => {
      const { backend, millrace } = await opened();
      const deliverAt = at(300);
      const scheduled = await millrace.publish({
        stream: 'order-1',
        subject: 'order.reminded',
        data: { n: 1, none: null },
        metadata: { correlationId: 'c-1' },
        deliverAt,
      });
      expect(scheduled).toEqual({
        id: scheduled.id,
        stream: 'order-1',
        scheduled: true,
        deliverAt,
      });
      expect(await logged(millrace, backend)).toEqual([]);
      expect(await millrace.scheduled()).toEqual([
        {
          id: scheduled.id,
          stream: 'order-1',
          subject: 'order.reminded',
          data: { n: 1, none: null },
          metadata: { correlationId: 'c-1' },
          deliverAt,
          scheduledAt: expect.any(Date) as Date,
        },
      ]);
      await waitFor(async () => (await logged(millrace, backend)).length === 1, 'the delivery');
      const [event] = await logged(millrace, backend);
      expect(event).toMatchObject({
        id: scheduled.id,
        stream: 'order-1',
        subject: 'order.reminded',
        data: { n: 1, none: null },
        metadata: { correlationId: 'c-1' },
        version: 0,
      });
      expect(event?.time.getTime()).toBeGreaterThanOrEqual(deliverAt.getTime());
      expect(await millrace.scheduledCount()).toBe(0);
      await backend.close();
    });

    it('publishes at once when deliverAt is now or past', async () => {
      const { backend, millrace } = await opened();
      const published = await millrace.publish({ ...ok, deliverAt: at(-1000) });
      expect(published.scheduled).toBeUndefined();
      expect(await logged(millrace, backend)).toHaveLength(1);
      expect(await millrace.scheduledCount()).toBe(0);
      await backend.close();
    });

    it('joins its stream when delivered: per-stream order among delivered events is log order', async () => {
      const { backend, millrace } = await opened();
      const results = await millrace.publishBatch([
        { stream: 'order-1', subject: 'order.late', data: 'a', deliverAt: at(400) },
        { stream: 'order-1', subject: 'order.soon', data: 'b', deliverAt: at(200) },
        { stream: 'order-1', subject: 'order.now', data: 'c' },
        { stream: 'order-2', subject: 'order.soon', data: 'x', deliverAt: at(200) },
      ]);
      expect(results.map((r) => r.scheduled ?? false)).toEqual([true, true, false, true]);
      // The same deliverAt: schedule order breaks the tie.
      const tie = at(200);
      await millrace.publish({
        stream: 'order-1',
        subject: 'order.tie',
        data: 'd',
        deliverAt: tie,
      });
      await millrace.publish({
        stream: 'order-1',
        subject: 'order.tie',
        data: 'e',
        deliverAt: tie,
      });
      await millrace.publish({ stream: 'order-1', subject: 'order.now', data: 'f' });
      await waitFor(async () => (await logged(millrace, backend)).length === 7, 'every delivery');
      const stream =
        backend.categoryPartitions === undefined
          ? (await millrace.read({ sequence: { stream: 'order-1' } })).events
          : (await logged(millrace, backend)).filter((e) => e.stream === 'order-1');
      expect(stream.map((e) => [e.data, e.version])).toEqual([
        ['c', 0],
        ['f', 1],
        ['b', 2],
        ['d', 3],
        ['e', 4],
        ['a', 5],
      ]);
      await backend.close();
    });

    it('are handled by consumers soon after they are due', async () => {
      const { backend, millrace } = await opened();
      const handled: { data: unknown; lateMs: number }[] = [];
      const consumer = millrace.consumer({
        name: 'reminders',
        sequence: { category: 'order' },
        partitions: backend.categoryPartitions ?? 2,
        handler: (event) => {
          const { deliverAt } = event.metadata as { deliverAt: number };
          handled.push({ data: event.data, lateMs: Date.now() - deliverAt });
          return Promise.resolve();
        },
      });
      await consumer.start();
      // The scheduler sleeps until the first is due: each event scheduled
      // later but due earlier must wake it, or it would be seconds late. Due
      // times count from one instant, stretched on a machine kept busy on
      // purpose, so that all four are scheduled before the first comes due.
      const base = Date.now();
      for (const delay of [1500, 900, 600, 300]) {
        const deliverAt = new Date(base + delay * PATIENCE);
        await millrace.publish({
          stream: `order-${delay}`,
          subject: 'order.reminded',
          data: delay,
          metadata: { deliverAt: deliverAt.getTime() },
          deliverAt,
        });
      }
      await waitFor(() => handled.length === 4, 'every delayed event handled');
      expect(handled.map((h) => h.data)).toEqual([300, 600, 900, 1500]);
      for (const { lateMs } of handled) {
        expect(lateMs).toBeGreaterThanOrEqual(0);
        // Loose on purpose: it catches a missed wake-up (late by the 5 s
        // longest sleep), and is no speed target.
        expect(lateMs).toBeLessThan(1000 * PATIENCE);
      }
      console.info(
        `delayed events on ${name}: handled ${handled.map((h) => h.lateMs).join(', ')} ms after deliverAt`,
      );
      await backend.close();
    });

    it('are delivered exactly once by two instances, each running a scheduler', async () => {
      const { backend, millrace } = await opened();
      const second = await backend.open({ logger: recordingLogger() });
      const count = 400;
      const events: PublishInput[] = Array.from({ length: count }, (_, i) => ({
        stream: `order-${i % 13}`,
        subject: 'order.reminded',
        data: i,
        deliverAt: at(100 + i),
      }));
      await Promise.all([
        millrace.publishBatch(events.slice(0, count / 2)),
        second.publishBatch(events.slice(count / 2)),
      ]);
      // Stop one instance mid-way: if it led, the other takes over the rest.
      await waitFor(async () => (await second.scheduledCount()) < count * 0.75, 'deliveries');
      await millrace.close();
      await waitFor(async () => (await second.scheduledCount()) === 0, 'every delivery');
      const delivered = await logged(second, backend);
      expect(delivered).toHaveLength(count);
      expect(new Set(delivered.map((e) => e.id)).size).toBe(count);
      expect(inOrder(delivered, backend)).toEqual(inOrder(events, backend));
      await backend.close();
    });

    it('cannot be delivered under a lease that is not held', async () => {
      const backend = await setup();
      const millrace = await backend.open({ logger: recordingLogger(), deliverDelayed: false });
      await millrace.publish({ ...ok, deliverAt: at(10) });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const store = millrace.provider.delayed?.store;
      await expect(store?.deliverDue({ holder: 'impostor', term: 1 }, 10)).rejects.toBeInstanceOf(
        FencedError,
      );
      expect(await millrace.scheduledCount()).toBe(1);
      expect(await logged(millrace, backend)).toEqual([]);
      await backend.close();
    });

    it('refuses bad input and writes nothing', async () => {
      const { backend, millrace } = await opened();
      const bad: [unknown, string][] = [
        [{ ...ok, deliverAt: '2030-01-01T00:00:00Z' }, 'invalid_deliver_at'],
        [{ ...ok, deliverAt: new Date(Number.NaN) }, 'invalid_deliver_at'],
        [{ ...ok, deliverAt: 1_900_000_000_000 }, 'invalid_deliver_at'],
        [{ ...ok, deliverAt: new Date(Date.UTC(10_000, 0, 1)) }, 'invalid_deliver_at'],
        [{ ...ok, deliverAt: at(60_000), expectedVersion: -1 }, 'deliver_at_with_expected_version'],
        [{ ...ok, subject: 'bad subject', deliverAt: at(60_000) }, 'invalid_subject'],
      ];
      for (const [event, reason] of bad) {
        await expect(millrace.publish(event as PublishInput)).rejects.toMatchObject({
          code: 'validation',
          reason,
        });
        await expect(
          millrace.publishBatch([{ ...ok, deliverAt: at(60_000) }, ok, event as PublishInput]),
        ).rejects.toMatchObject({ reason, details: { index: 2 } });
      }
      expect(await logged(millrace, backend)).toEqual([]);
      expect(await millrace.scheduledCount()).toBe(0);
      await expect(millrace.cancelScheduled('nope')).rejects.toMatchObject({
        reason: 'invalid_id',
      });
      await expect(millrace.scheduled({ stream: 'bad stream' })).rejects.toBeInstanceOf(
        ValidationError,
      );
      await expect(millrace.scheduled({ limit: 0 })).rejects.toBeInstanceOf(ValidationError);
      await backend.close();
    });

    it('refuses an id the log or the schedule holds, writing nothing of the batch', async () => {
      const { backend, millrace } = await opened();
      const published = await millrace.publish(ok);
      const scheduled = await millrace.publish({ ...ok, deliverAt: at(60_000) });
      for (const id of [published.id, scheduled.id]) {
        const error = await millrace
          .publishBatch([
            { ...ok, stream: 'order-2' },
            { ...ok, deliverAt: at(60_000) },
            { ...ok, id, deliverAt: at(60_000) },
          ])
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConflictError);
        expect(error).toMatchObject({ reason: 'duplicate_id' });
      }
      expect(await logged(millrace, backend)).toHaveLength(1);
      expect(await millrace.scheduledCount()).toBe(1);
      await backend.close();
    });

    it('can be listed by stream, counted and cancelled', async () => {
      const { backend, millrace } = await opened();
      const keep = await millrace.publish({ ...ok, data: 1, deliverAt: at(300) });
      const cancel = await millrace.publish({ ...ok, stream: 'order-2', deliverAt: at(200) });
      expect((await millrace.scheduled({ stream: 'order-2' })).map((e) => e.id)).toEqual([
        cancel.id,
      ]);
      expect((await millrace.scheduled({ limit: 1 })).map((e) => e.id)).toEqual([cancel.id]);
      expect(await millrace.scheduledCount()).toBe(2);
      expect(await millrace.cancelScheduled(cancel.id)).toBe(true);
      expect(await millrace.cancelScheduled(cancel.id)).toBe(false);
      await waitFor(
        async () => (await logged(millrace, backend)).length === 1,
        'the other delivery',
      );
      expect((await logged(millrace, backend)).map((e) => e.id)).toEqual([keep.id]);
      expect(await millrace.cancelScheduled(keep.id)).toBe(false);
      await backend.close();
    });

    it('page in delivery order, each once, ties in schedule order', async () => {
      const { backend, millrace } = await opened();
      // Far off, so none is delivered while the test pages.
      const [earlier, tie, later] = [at(3_000_000), at(3_600_000), at(4_200_000)];
      const timeOf = (n: number) => (n % 7 === 3 ? later : n % 7 === 5 ? earlier : tie);
      const event = (n: number): PublishInput => ({
        stream: `order-${n % 2}`,
        subject: 'order.reminded',
        data: n,
        deliverAt: timeOf(n),
      });
      await millrace.publishBatch(Array.from({ length: 60 }, (_, n) => event(n)));
      for (let n = 60; n < 66; n++) await millrace.publish(event(n));
      const expected = Array.from({ length: 66 }, (_, n) => n).sort(
        (a, b) => timeOf(a).getTime() - timeOf(b).getTime() || a - b,
      );

      async function pageThrough(options: { stream?: string; limit: number }): Promise<unknown[]> {
        const seen: unknown[] = [];
        let after: string | undefined;
        for (let pages = 0; pages < 100; pages++) {
          const page = await millrace.scheduledPage({ ...options, after });
          expect(page.events.length).toBeLessThanOrEqual(options.limit);
          seen.push(...page.events.map((e) => e.data));
          if (page.next === undefined) return seen;
          expect(page.next).toBe(page.events.at(-1)?.cursor);
          after = page.next;
        }
        throw new Error('paging did not end');
      }
      expect(await pageThrough({ limit: 7 })).toEqual(expected);
      // 66 = 6 pages of 11: the last page says nothing follows it.
      expect(await pageThrough({ limit: 11 })).toEqual(expected);
      expect(await pageThrough({ stream: 'order-1', limit: 4 })).toEqual(
        expected.filter((n) => n % 2 === 1),
      );
      expect((await millrace.scheduledPage({ limit: 66 })).next).toBeUndefined();
      expect((await millrace.scheduledPage({ limit: 65 })).next).toBeDefined();

      // A cursor holds a place, not an event: it goes on after one cancelled since.
      const [first, second] = (await millrace.scheduledPage({ limit: 2 })).events;
      expect(await millrace.cancelScheduled(first?.id ?? '')).toBe(true);
      const after = first?.cursor;
      const resumed = await millrace.scheduledPage({ after, limit: 1 });
      expect(resumed.events.map((e) => e.id)).toEqual([second?.id]);
      expect(await millrace.scheduled({ after, limit: 1 })).toEqual([
        {
          id: second?.id,
          stream: second?.stream,
          subject: 'order.reminded',
          data: second?.data,
          metadata: {},
          deliverAt: earlier,
          scheduledAt: expect.any(Date) as Date,
        },
      ]);
      for (const bad of ['garbage', `${first?.cursor}:1`, '1:-1', '9000000000000000000:1']) {
        await expect(millrace.scheduledPage({ after: bad })).rejects.toMatchObject({
          code: 'validation',
          reason: 'invalid_option',
        });
      }
      await backend.close();
    });

    it('page exactly at times whose microseconds a double cannot hold', async () => {
      const { backend, millrace } = await opened();
      const last = new Date('9999-12-31T23:59:59.999Z');
      const before = new Date(last.getTime() - 1);
      await millrace.publishBatch(
        [last, before, last, before, last].map((deliverAt, n) => ({ ...ok, data: n, deliverAt })),
      );
      const seen: unknown[] = [];
      for (let after: string | undefined, pages = 0; pages < 10; pages++) {
        const page = await millrace.scheduledPage({ after, limit: 1 });
        seen.push(...page.events.map((e) => e.data));
        if (page.next === undefined) break;
        after = page.next;
      }
      expect(seen).toEqual([1, 3, 0, 2, 4]);
      await backend.close();
    });

    it('wait while no instance delivers, and are delivered by the next one', async () => {
      const backend = await setup();
      const tool = await backend.open({ logger: recordingLogger(), deliverDelayed: false });
      await tool.publish({ ...ok, deliverAt: at(20) });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await logged(tool, backend)).toEqual([]);
      await backend.open({ logger: recordingLogger() });
      await waitFor(async () => (await logged(tool, backend)).length === 1, 'the delivery');
      await backend.close();
    });
  });
}
