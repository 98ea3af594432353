import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import {
  ConflictError,
  ValidationError,
  comparePositions,
  type Event,
  type Millrace,
} from '../../src/index.js';
import { TEST_DATABASE_URL } from '../support/database.js';
import { PROVIDERS, openBackend, type TestBackend } from '../support/providers.js';
import { waitFor } from '../support/wait.js';

async function readAll(
  millrace: Millrace,
  sequence: Parameters<Millrace['read']>[0] = {},
): Promise<Event[]> {
  const events: Event[] = [];
  let after = sequence.after ?? '0';
  for (;;) {
    const page = await millrace.read({ ...sequence, after, limit: 7 });
    events.push(...page.events);
    after = page.next;
    if (!page.hasMore) return events;
  }
}

describe.each(PROVIDERS)('the log on %s', (providerName) => {
  let backend: TestBackend;
  let millrace: Millrace;
  const countRows = async () =>
    Number(
      (
        await backend.sql<{ n: string }>(
          `SELECT count(*)::text AS n FROM "${backend.schema}".events`,
        )
      )[0]?.n,
    );

  beforeEach(async () => {
    backend = await openBackend(providerName);
    millrace = await backend.open();
  });
  afterEach(async () => {
    await backend.close();
  });

  it('publishes one event and reads it back as it was sent', async () => {
    const published = await millrace.publish({
      stream: 'order-1',
      subject: 'order.created',
      data: { total: 12.5, items: ['a', 'b'], nested: { ok: true, none: null } },
      metadata: { correlationId: 'c-1', traceparent: '00-abc-def-01' },
    });
    expect(published.version).toBe(0);
    const [event] = await readAll(millrace);
    expect(event).toEqual({
      id: published.id,
      stream: 'order-1',
      category: 'order',
      subject: 'order.created',
      data: { total: 12.5, items: ['a', 'b'], nested: { ok: true, none: null } },
      metadata: { correlationId: 'c-1', traceparent: '00-abc-def-01' },
      position: published.position,
      version: 0,
      time: published.time,
    });
    expect(published.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
  });

  it('keeps any JSON value as data, null and scalars included', async () => {
    for (const data of [null, 0, 'text', true, [1, [2]], { a: { b: { c: [] } } }]) {
      await millrace.publish({ stream: 'misc-1', subject: 'misc.value', data });
    }
    expect((await readAll(millrace)).map((e) => e.data)).toEqual([
      null,
      0,
      'text',
      true,
      [1, [2]],
      { a: { b: { c: [] } } },
    ]);
  });

  it('publishes a batch atomically with consecutive versions per stream, in input order', async () => {
    await millrace.publish({ stream: 'order-1', subject: 'order.created', data: 0 });
    const published = await millrace.publishBatch([
      { stream: 'order-1', subject: 'order.paid', data: 1 },
      { stream: 'order-2', subject: 'order.created', data: 2 },
      { stream: 'order-1', subject: 'order.shipped', data: 3 },
      { stream: 'user-9', subject: 'user.created', data: 4 },
    ]);
    expect(published.map((p) => [p.stream, p.version])).toEqual([
      ['order-1', 1],
      ['order-2', 0],
      ['order-1', 2],
      ['user-9', 0],
    ]);
    const positions = published.map((p) => p.position);
    expect([...positions].sort(comparePositions)).toEqual(positions);
    const read = await readAll(millrace);
    expect(read.map((e) => e.data)).toEqual([0, 1, 2, 3, 4]);
  });

  it('enforces expectedVersion and writes nothing of a batch that fails it', async () => {
    await millrace.publish({
      stream: 'order-1',
      subject: 'order.created',
      data: 0,
      expectedVersion: -1,
    });
    await millrace.publish({
      stream: 'order-1',
      subject: 'order.paid',
      data: 1,
      expectedVersion: 0,
    });
    const before = await countRows();
    const attempt = millrace.publishBatch([
      { stream: 'order-7', subject: 'order.created', data: 'fine on its own' },
      { stream: 'order-1', subject: 'order.paid', data: 2, expectedVersion: 0 },
    ]);
    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
    await expect(attempt).rejects.toMatchObject({
      code: 'conflict',
      reason: 'version_conflict',
      retriable: false,
      details: { stream: 'order-1', expected: 0, actual: 1 },
    });
    await expect(
      millrace.publish({
        stream: 'order-1',
        subject: 'order.created',
        data: 0,
        expectedVersion: -1,
      }),
    ).rejects.toMatchObject({ reason: 'version_conflict' });
    expect(await countRows()).toBe(before);
  });

  it('refuses a second event with the same id and writes nothing', async () => {
    const first = await millrace.publish({ stream: 'order-1', subject: 'order.created', data: 1 });
    await expect(
      millrace.publishBatch([
        { stream: 'order-2', subject: 'order.created', data: 2 },
        { stream: 'order-3', subject: 'order.created', data: 3, id: first.id },
      ]),
    ).rejects.toMatchObject({ code: 'conflict', reason: 'duplicate_id' });
    expect(await countRows()).toBe(1);
  });

  it('reads by category and by stream, and filters by subject patterns', async () => {
    await millrace.publishBatch([
      { stream: 'order-1', subject: 'order.created', data: 1 },
      { stream: 'order-1', subject: 'order.item.added', data: 2 },
      { stream: 'user-1', subject: 'user.created', data: 3 },
      { stream: 'order-2', subject: 'order.created', data: 4 },
      { stream: 'order', subject: 'order.archived', data: 5 },
    ]);
    const data = (events: Event[]) => events.map((e) => e.data);
    expect(data(await readAll(millrace, { sequence: { category: 'order' } }))).toEqual([
      1, 2, 4, 5,
    ]);
    expect(data(await readAll(millrace, { sequence: { stream: 'order-1' } }))).toEqual([1, 2]);
    expect(data(await readAll(millrace, { subjects: ['order.*'] }))).toEqual([1, 4, 5]);
    expect(data(await readAll(millrace, { subjects: ['order.>'] }))).toEqual([1, 2, 4, 5]);
    expect(data(await readAll(millrace, { subjects: ['*.created'] }))).toEqual([1, 3, 4]);
    expect(data(await readAll(millrace, { subjects: ['user.created', 'order.item.*'] }))).toEqual([
      2, 3,
    ]);
  });

  it('moves past filtered-out events so a selective reader does not rescan them', async () => {
    await millrace.publishBatch(
      Array.from({ length: 20 }, (_, i) => ({
        stream: `order-${i}`,
        subject: 'order.created',
        data: i,
      })),
    );
    const page = await millrace.read({ subjects: ['order.nothing'], limit: 5 });
    expect(page.events).toEqual([]);
    const last = (await readAll(millrace)).at(-1) as Event;
    expect(comparePositions(page.next, last.position)).toBeGreaterThanOrEqual(0);
    const published = await millrace.publish({
      stream: 'order-1',
      subject: 'order.nothing',
      data: 'x',
    });
    const again = await millrace.read({ subjects: ['order.nothing'], after: page.next });
    expect(again.events.map((e) => e.id)).toEqual([published.id]);
  });

  it('splits a category into disjoint partitions that keep each stream whole and in order', async () => {
    const inputs = Array.from({ length: 120 }, (_, i) => ({
      stream: `order-${i % 17}`,
      subject: 'order.step',
      data: i,
    }));
    await millrace.publishBatch(inputs);
    // A consumer with 4 partitions makes sure the partition index exists.
    const consumer = millrace.consumer({
      name: 'indexer',
      sequence: { category: 'order' },
      partitions: 4,
      handler: () => undefined,
    });
    await consumer.start();
    await consumer.stop();
    const seen = new Map<string, number>();
    let total = 0;
    for (let index = 0; index < 4; index++) {
      const events = await readAll(millrace, {
        sequence: { category: 'order' },
        partition: { index, count: 4 },
      });
      total += events.length;
      const versions = new Map<string, number>();
      for (const event of events) {
        const owner = seen.get(event.stream);
        expect(owner === undefined || owner === index).toBe(true);
        seen.set(event.stream, index);
        expect(event.version).toBe((versions.get(event.stream) ?? -1) + 1);
        versions.set(event.stream, event.version);
      }
    }
    expect(total).toBe(120);
    expect(seen.size).toBe(17);
  });

  it('gives the end of the log and positions by time', async () => {
    await millrace.publish({ stream: 'order-1', subject: 'order.created', data: 'old' });
    const end = await millrace.end();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const boundary = new Date();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const later = await millrace.publish({
      stream: 'order-2',
      subject: 'order.created',
      data: 'new',
    });
    expect((await millrace.read({ after: end })).events.map((e) => e.data)).toEqual(['new']);
    const handled: unknown[] = [];
    const consumer = millrace.consumer({
      name: 'from-time',
      sequence: 'log',
      partitions: 1,
      startFrom: { time: boundary },
      handler: (event) => {
        handled.push(event.data);
      },
    });
    await consumer.start();
    await waitFor(() => handled.length > 0, 'the event after the boundary');
    await consumer.stop();
    expect(handled).toEqual(['new']);
    const status = await millrace.consumerStatus('from-time');
    expect(
      comparePositions(status.positions[0]?.position ?? '0', later.position),
    ).toBeGreaterThanOrEqual(0);
  });

  it('rejects bad input with typed errors and writes nothing', async () => {
    await millrace.publish({ stream: 'order-1', subject: 'order.created', data: 1 });
    const bad: [string, () => Promise<unknown>, string][] = [
      [
        'stream with SQL',
        () =>
          millrace.publish({
            stream: "order'; DROP TABLE x;--",
            subject: 'order.created',
            data: 1,
          }),
        'invalid_stream',
      ],
      [
        'empty stream',
        () => millrace.publish({ stream: '', subject: 'order.created', data: 1 }),
        'invalid_stream',
      ],
      [
        'category with space',
        () => millrace.publish({ stream: 'or der-1', subject: 'order.created', data: 1 }),
        'invalid_stream',
      ],
      [
        'subject wildcard',
        () => millrace.publish({ stream: 'order-1', subject: 'order.*', data: 1 }),
        'invalid_subject',
      ],
      [
        'subject with SQL',
        () =>
          millrace.publish({ stream: 'order-1', subject: "x'); DELETE FROM events;--", data: 1 }),
        'invalid_subject',
      ],
      [
        'empty subject token',
        () => millrace.publish({ stream: 'order-1', subject: 'order..created', data: 1 }),
        'invalid_subject',
      ],
      [
        'undefined data',
        () =>
          millrace.publish({
            stream: 'order-1',
            subject: 'order.created',
            data: undefined as never,
          }),
        'invalid_json',
      ],
      [
        'NaN',
        () =>
          millrace.publish({
            stream: 'order-1',
            subject: 'order.created',
            data: { n: Number.NaN },
          }),
        'invalid_json',
      ],
      [
        'function',
        () =>
          millrace.publish({
            stream: 'order-1',
            subject: 'order.created',
            data: { f: (() => 1) as never },
          }),
        'invalid_json',
      ],
      [
        'Date',
        () =>
          millrace.publish({
            stream: 'order-1',
            subject: 'order.created',
            data: { d: new Date() as never },
          }),
        'invalid_json',
      ],
      [
        'metadata array',
        () =>
          millrace.publish({
            stream: 'order-1',
            subject: 'order.created',
            data: 1,
            metadata: [] as never,
          }),
        'invalid_json',
      ],
      [
        'bad id',
        () =>
          millrace.publish({ stream: 'order-1', subject: 'order.created', data: 1, id: "1'; --" }),
        'invalid_id',
      ],
      [
        'bad expectedVersion',
        () =>
          millrace.publish({
            stream: 'order-1',
            subject: 'order.created',
            data: 1,
            expectedVersion: -2,
          }),
        'invalid_expected_version',
      ],
      [
        'too large',
        () =>
          millrace.publish({
            stream: 'order-1',
            subject: 'order.created',
            data: 'x'.repeat(1024 * 1024),
          }),
        'payload_too_large',
      ],
      [
        'one bad in a batch',
        () =>
          millrace.publishBatch([
            { stream: 'order-2', subject: 'order.created', data: 1 },
            { stream: 'order-3', subject: 'bad subject', data: 1 },
          ]),
        'invalid_subject',
      ],
      [
        'bad read category',
        () => millrace.read({ sequence: { category: "order' OR 1=1" } }),
        'invalid_category',
      ],
      [
        'bad read pattern',
        () => millrace.read({ subjects: ['order.>.x'] }),
        'invalid_subject_pattern',
      ],
      ['bad position', () => millrace.read({ after: '1 OR 1=1' }), 'invalid_position'],
      [
        'bad consumer name',
        () => millrace.consumerStatus("x'; DROP TABLE consumers;--"),
        'invalid_consumer_name',
      ],
    ];
    for (const [what, run, reason] of bad) {
      const error = await run().then(
        () => new Error(`${what}: accepted`),
        (e: unknown) => e,
      );
      expect(error, what).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).reason, what).toBe(reason);
    }
    await expect(millrace.consumerStatus('nobody')).rejects.toMatchObject({
      code: 'not_found',
      reason: 'unknown_consumer',
    });
    expect(() =>
      millrace.consumer({ name: 'bad name!', sequence: 'log', handler: () => undefined }),
    ).toThrow(ValidationError);
    expect(await countRows()).toBe(1);
    expect(await backend.sql(`SELECT * FROM "${backend.schema}".consumers`)).toEqual([]);
  });

  it('measures the size limit in UTF-8 bytes', async () => {
    const small = await backend.open({ maxEventBytes: 100 });
    await expect(
      small.publish({ stream: 'order-1', subject: 'order.created', data: 'é'.repeat(60) }),
    ).rejects.toMatchObject({ reason: 'payload_too_large', details: { size: 122, limit: 100 } });
    await small.publish({ stream: 'order-1', subject: 'order.created', data: 'e'.repeat(60) });
    expect(await countRows()).toBe(1);
  });
});

describe("publishing inside the caller's transaction (outbox)", () => {
  it('on postgres: the events exist if and only if the pg transaction commits', async () => {
    const backend = await openBackend('postgres');
    const millrace = await backend.open();
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      await client.query(`CREATE TABLE "${backend.schema}".orders (id text PRIMARY KEY)`);
      await client.query('BEGIN');
      await client.query(`INSERT INTO "${backend.schema}".orders VALUES ('o-1')`);
      await millrace.publish(
        { stream: 'order-o1', subject: 'order.created', data: 1 },
        { transaction: client },
      );
      expect((await millrace.read()).events).toEqual([]);
      await client.query('ROLLBACK');
      expect((await millrace.read()).events).toEqual([]);

      await client.query('BEGIN');
      await client.query(`INSERT INTO "${backend.schema}".orders VALUES ('o-2')`);
      await millrace.publishBatch(
        [
          { stream: 'order-o2', subject: 'order.created', data: 2 },
          { stream: 'order-o2', subject: 'order.paid', data: 3 },
        ],
        { transaction: client },
      );
      await millrace.publish(
        { stream: 'order-o2', subject: 'order.shipped', data: 4 },
        { transaction: client },
      );
      await client.query('COMMIT');
      const events = (await millrace.read()).events;
      expect(events.map((e) => [e.data, e.version])).toEqual([
        [2, 0],
        [3, 1],
        [4, 2],
      ]);
      expect(await backend.sql(`SELECT id FROM "${backend.schema}".orders`)).toEqual([
        { id: 'o-2' },
      ]);
    } finally {
      await client.end();
      await backend.close();
    }
  });

  it('on pglite: a transaction that throws leaves nothing', async () => {
    const backend = await openBackend('pglite');
    const millrace = await backend.open();
    const db = (millrace.provider as unknown as { db: { db: PGlite } }).db.db;
    await expect(
      db.transaction(async (tx) => {
        await millrace.publish(
          { stream: 'order-1', subject: 'order.created', data: 1 },
          { transaction: tx },
        );
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    expect((await millrace.read()).events).toEqual([]);
    await db.transaction(async (tx) => {
      await millrace.publish(
        { stream: 'order-1', subject: 'order.created', data: 2 },
        { transaction: tx },
      );
    });
    expect((await millrace.read()).events.map((e) => e.data)).toEqual([2]);
    await backend.close();
  });
});
