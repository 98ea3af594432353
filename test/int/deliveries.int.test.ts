/**
 * Retries and dead letters on the real PostgreSQL and on PGlite: the records
 * a failing handler leaves, listing them by every filter in pages, retrying
 * them back to their partition's owner, discarding them, and attempts that
 * survive a restart. The happy path writes no delivery rows.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Event, Millrace } from '../../src/index.js';
import { PROVIDERS, openBackend, type TestBackend } from '../support/providers.js';
import { recordingLogger, waitFor } from '../support/wait.js';

const n = (event: Event) => (event.data as { n: number }).n;

describe.each(PROVIDERS)('deliveries on %s', (name) => {
  let backend: TestBackend;
  let millrace: Millrace;

  beforeEach(async () => {
    backend = await openBackend(name);
    millrace = await backend.open({ logger: recordingLogger() });
  });
  afterEach(async () => {
    await backend.close();
  });

  async function deliveryRows(): Promise<number> {
    const [row] = await backend.sql<{ count: string }>(
      `SELECT count(*)::text AS count FROM "${backend.schema}".deliveries`,
    );
    return Number(row?.count);
  }

  it('writes no delivery row when every handler succeeds', async () => {
    await millrace.publishBatch(
      Array.from({ length: 50 }, (_, i) => ({
        stream: `order-${i % 7}`,
        subject: 'order.placed',
        data: { n: i },
      })),
    );
    let handled = 0;
    const consumer = millrace.consumer({
      name: 'happy',
      sequence: { category: 'order' },
      partitions: 2,
      handler: () => {
        handled++;
      },
    });
    await consumer.start();
    await waitFor(() => handled === 50, 'all handled');
    await consumer.stop();
    expect(await deliveryRows()).toBe(0);
  });

  it('records dead letters, lists them by filter and page, retries and discards them', async () => {
    await millrace.publishBatch([
      { stream: 'order-1', subject: 'order.placed', data: { n: 0 } },
      { stream: 'order-2', subject: 'order.paid', data: { n: 1 } },
      { stream: 'order-3', subject: 'order.placed', data: { n: 2 } },
      { stream: 'order-4', subject: 'order.placed', data: { n: 3 } },
    ]);
    let healthy = false;
    const handled: number[] = [];
    const consumer = millrace.consumer({
      name: 'billing',
      sequence: { category: 'order' },
      partitions: 2,
      maxAttempts: 2,
      pollIntervalMs: 100,
      retry: { type: 'fixed', delayMs: 10 },
      handler: (event) => {
        if (!healthy && n(event) < 3) {
          throw Object.assign(new Error(`refused ${n(event)}`), {
            code: n(event) === 1 ? 'PAYMENT' : 'STOCK',
          });
        }
        handled.push(n(event));
      },
    });
    await consumer.start();
    await waitFor(
      async () => (await millrace.deadLetters.list()).records.length === 3,
      'three dead letters',
    );
    const letters = millrace.deadLetters;
    const all = await letters.list({ consumer: 'billing' });
    expect(all.records.map((r) => r.attempts)).toEqual([2, 2, 2]);
    expect(all.records.every((r) => r.state === 'discarded')).toBe(true);
    expect((await letters.list({ subject: 'order.paid' })).records.map((r) => n(r.event))).toEqual([
      1,
    ]);
    expect((await letters.list({ errorCode: 'STOCK' })).records).toHaveLength(2);
    expect((await letters.list({ since: new Date(Date.now() + 60_000) })).records).toEqual([]);
    expect((await letters.list({ consumer: 'other' })).records).toEqual([]);

    const first = await letters.list({ limit: 2 });
    expect(first.records).toHaveLength(2);
    const second = await letters.list({ limit: 2, after: first.next });
    expect(second.records).toHaveLength(1);
    expect(second.next).toBeUndefined();
    const ids = [...first.records, ...second.records].map((r) => r.event.id);
    expect(new Set(ids).size).toBe(3);

    const one = await letters.get('billing', ids[0] as string);
    expect(one.event.id).toBe(ids[0]);
    await expect(
      letters.get('billing', '00000000-0000-7000-8000-000000000000'),
    ).rejects.toMatchObject({ code: 'not_found' });

    healthy = true;
    expect(await letters.retry({ errorCode: 'STOCK' })).toBe(2);
    await waitFor(
      () => handled.includes(0) && handled.includes(2),
      'the retried two handled',
      10_000,
    );
    await waitFor(async () => (await deliveryRows()) === 1, 'their records gone');
    expect(await letters.discard({ consumer: 'billing' })).toBe(1);
    expect(await deliveryRows()).toBe(0);
    await consumer.stop();
  });

  it('keeps counting attempts over a restart', async () => {
    await millrace.publish({ stream: 'order-9', subject: 'order.placed', data: { n: 0 } });
    const attempts: number[] = [];
    const start = async (on: Millrace) => {
      const consumer = on.consumer({
        name: 'restarted',
        sequence: { category: 'order' },
        partitions: 1,
        maxAttempts: 3,
        retry: { type: 'fixed', delayMs: 60_000 },
        handler: (_event, context) => {
          attempts.push(context.attempt);
          throw new Error('down');
        },
      });
      await consumer.start();
      return consumer;
    };
    const first = await start(millrace);
    await waitFor(async () => (await deliveryRows()) === 1, 'the retry recorded');
    await first.stop();
    const again = await backend.open({ logger: recordingLogger() });
    const second = await start(again);
    await waitFor(() => attempts.length === 2, 'the attempt after the restart');
    expect(attempts).toEqual([1, 2]);
    await second.stop();
  });
});

describe.each(PROVIDERS)('resetting a consumer on %s', (name) => {
  let backend: TestBackend;

  beforeEach(async () => {
    backend = await openBackend(name);
  });
  afterEach(async () => {
    await backend.close();
  });

  it('replays from the beginning while two members run, then skips to the end', async () => {
    const instances = [
      await backend.open({ logger: recordingLogger() }),
      await backend.open({ logger: recordingLogger() }),
    ];
    const [first] = instances as [Millrace, Millrace];
    await first.publishBatch(
      Array.from({ length: 40 }, (_, i) => ({
        stream: `order-${i % 9}`,
        subject: 'order.placed',
        data: { n: i },
      })),
    );
    const seen: number[] = [];
    const consumers = instances.map((millrace) =>
      millrace.consumer({
        name: 'replayed',
        sequence: { category: 'order' },
        partitions: 4,
        handler: (event) => {
          seen.push(n(event));
        },
      }),
    );
    for (const consumer of consumers) await consumer.start();
    await waitFor(() => seen.length === 40, 'the first pass');
    const { generation } = await first.consumerStatus('replayed');
    await first.resetConsumer('replayed', 'beginning');
    await waitFor(() => seen.length >= 80, 'every event again', 15_000);
    // Every event came again at least once; the reset fenced the runs before it.
    const counts = new Map<number, number>();
    for (const x of seen) counts.set(x, (counts.get(x) ?? 0) + 1);
    expect([...counts.values()].every((c) => c >= 2)).toBe(true);
    expect((await first.consumerStatus('replayed')).generation).toBeGreaterThan(generation);

    await first.resetConsumer('replayed', 'end');
    await waitFor(async () => (await first.consumerStatus('replayed')).lag === 0, 'no lag');
    const before = seen.length;
    await first.publish({ stream: 'order-new', subject: 'order.placed', data: { n: 99 } });
    await waitFor(() => seen.includes(99), 'the new event');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen.slice(before).filter((x) => x !== 99)).toEqual([]);
    for (const consumer of consumers) await consumer.stop();
  });
});

describe.each(PROVIDERS)('effectively-once on %s', (name) => {
  let backend: TestBackend;

  beforeEach(async () => {
    backend = await openBackend(name);
  });
  afterEach(async () => {
    await backend.close();
  });

  it("commits a handler's writes with its position, and rolls them back with a failed attempt", async () => {
    const millrace = await backend.open({ logger: recordingLogger() });
    await backend.sql(`CREATE TABLE "${backend.schema}".ledger (n integer)`);
    await millrace.publishBatch(
      Array.from({ length: 6 }, (_, i) => ({
        stream: `order-${i % 2}`,
        subject: 'order.paid',
        data: { n: i },
      })),
    );
    let done = 0;
    const consumer = millrace.consumer({
      name: 'ledger',
      sequence: { category: 'order' },
      partitions: 2,
      ordering: 'partition',
      delivery: 'effectively-once',
      retry: { type: 'fixed', delayMs: 10 },
      handler: async (event, context) => {
        const tx = context.transaction as {
          query(text: string, params: unknown[]): Promise<unknown>;
        };
        await tx.query(`INSERT INTO "${backend.schema}".ledger (n) VALUES ($1)`, [n(event)]);
        if (context.attempt === 1 && n(event) % 3 === 0) throw new Error('after writing');
        done++;
      },
    });
    await consumer.start();
    await waitFor(() => done === 6, 'all six');
    await consumer.stop();
    const rows = await backend.sql<{ n: number }>(
      `SELECT n FROM "${backend.schema}".ledger ORDER BY n`,
    );
    expect(rows.map((r) => r.n)).toEqual([0, 1, 2, 3, 4, 5]);
    const status = await millrace.consumerStatus('ledger');
    expect(status.lag).toBe(0);
  });
});
