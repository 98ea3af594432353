/**
 * Delayed events on real PostgreSQL and PGlite: kept in scheduled_events
 * until due, then appended to the log by whichever instance holds the
 * 'scheduler' lease, each exactly once, in delivery order. The shared rules
 * run in the conformance suite; here, what only a database can do: the
 * outbox, and the HTTP API.
 */
import type { PGlite } from '@electric-sql/pglite';
import type { InjectOptions } from 'fastify';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Millrace } from '../../src/index.js';
import { createServer } from '../../src/server/server.js';
import { TEST_DATABASE_URL } from '../support/database.js';
import { at, logged } from '../support/delayed-suite.js';
import { PROVIDERS, openBackend, type TestBackend } from '../support/providers.js';
import { recordingLogger, waitFor } from '../support/wait.js';

describe.each(PROVIDERS)('delayed events over HTTP on %s', (providerName) => {
  let backend: TestBackend;
  let millrace: Millrace;
  const rows = async (table: string) =>
    Number(
      (
        await backend.sql<{ n: string }>(
          `SELECT count(*)::text AS n FROM "${backend.schema}".${table}`,
        )
      )[0]?.n,
    );

  beforeEach(async () => {
    backend = await openBackend(providerName);
    millrace = await backend.open({ logger: recordingLogger() });
  });
  afterEach(async () => {
    await backend.close();
  });

  it('publishes with deliverAt, lists, cancels, and refuses bad input with a reason', async () => {
    const app = createServer({ millrace });
    try {
      const post = (body: unknown) =>
        app.inject({
          method: 'POST',
          url: '/v1/events',
          payload: body as InjectOptions['payload'],
        });
      const deliverAt = at(60_000).toISOString();
      const ok = { stream: 'order-1', subject: 'order.reminded', data: 1 };
      const created = await post({ ...ok, deliverAt });
      expect(created.statusCode).toBe(201);
      const [scheduled] = created.json<{ events: { id: string }[] }>().events;
      expect(scheduled).toEqual({
        id: scheduled?.id,
        stream: 'order-1',
        scheduled: true,
        deliverAt,
      });
      for (const [body, reason] of [
        [{ ...ok, deliverAt: 'tomorrow' }, 'invalid_body'],
        [{ ...ok, deliverAt: 1_900_000_000_000 }, 'invalid_body'],
        [{ ...ok, deliverAt, expectedVersion: 0 }, 'deliver_at_with_expected_version'],
        [{ events: [ok, { ...ok, deliverAt: '2030-13-01T00:00:00Z' }] }, 'invalid_body'],
      ] as const) {
        const response = await post(body);
        expect(response.statusCode).toBe(400);
        expect(response.json()).toMatchObject({ error: { code: 'validation', reason } });
      }
      const list = await app.inject({ method: 'GET', url: '/v1/scheduled?stream=order-1' });
      expect(list.json()).toMatchObject({
        count: 1,
        events: [{ id: scheduled?.id, deliverAt }],
        next: null,
      });
      const cancel = await app.inject({ method: 'DELETE', url: `/v1/scheduled/${scheduled?.id}` });
      expect(cancel.json()).toEqual({ cancelled: true });
      expect(await rows('scheduled_events')).toBe(0);
      expect(await rows('events')).toBe(0);
    } finally {
      await app.close();
    }
  });
});

describe.each(PROVIDERS)('the scheduler on %s', (providerName) => {
  it('holds its lease only while events wait, so an idle database sees no renewals', async () => {
    const backend = await openBackend(providerName);
    const millrace = await backend.open({ logger: recordingLogger() });
    const lease = async () =>
      (
        await backend.sql<{ holder: string | null }>(
          `SELECT holder FROM "${backend.schema}".leases WHERE name = 'scheduler'`,
        )
      )[0]?.holder ?? null;
    try {
      expect(await lease()).toBeNull();
      await millrace.publish({
        stream: 'order-1',
        subject: 'order.reminded',
        data: 1,
        deliverAt: at(300),
      });
      await waitFor(async () => (await lease()) !== null, 'a scheduler elected');
      await waitFor(async () => (await logged(millrace)).length === 1, 'the delivery');
      await waitFor(async () => (await lease()) === null, 'the scheduler resigned');
    } finally {
      await backend.close();
    }
  });
});

describe("delayed events inside the caller's transaction (outbox)", () => {
  it('on postgres: scheduled if and only if the pg transaction commits', async () => {
    const backend = await openBackend('postgres');
    const millrace = await backend.open({ logger: recordingLogger() });
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      await client.query('BEGIN');
      await millrace.publishBatch(
        [
          { stream: 'order-1', subject: 'order.created', data: 1 },
          { stream: 'order-1', subject: 'order.reminded', data: 2, deliverAt: at(100) },
        ],
        { transaction: client },
      );
      await client.query('ROLLBACK');
      expect(await millrace.scheduledCount()).toBe(0);

      await client.query('BEGIN');
      await millrace.publish(
        { stream: 'order-1', subject: 'order.reminded', data: 3, deliverAt: at(100) },
        { transaction: client },
      );
      expect(await millrace.scheduledCount()).toBe(0);
      // Committed after it was due: delivered at once, woken by the commit.
      await new Promise((resolve) => setTimeout(resolve, 200));
      await client.query('COMMIT');
      await waitFor(async () => (await logged(millrace)).length === 1, 'the delivery');
      expect((await logged(millrace)).map((e) => e.data)).toEqual([3]);
    } finally {
      await client.end();
      await backend.close();
    }
  });

  it('on pglite: a transaction that throws schedules nothing', async () => {
    const backend = await openBackend('pglite');
    const millrace = await backend.open({ logger: recordingLogger() });
    const db = (millrace.provider as unknown as { db: { db: PGlite } }).db.db;
    try {
      await expect(
        db.transaction(async (tx) => {
          await millrace.publish(
            { stream: 'order-1', subject: 'order.reminded', data: 1, deliverAt: at(100) },
            { transaction: tx },
          );
          throw new Error('business rule failed');
        }),
      ).rejects.toThrow('business rule failed');
      expect(await millrace.scheduledCount()).toBe(0);
      await db.transaction(async (tx) => {
        await millrace.publish(
          { stream: 'order-1', subject: 'order.reminded', data: 2, deliverAt: at(100) },
          { transaction: tx },
        );
      });
      await waitFor(async () => (await logged(millrace)).length === 1, 'the delivery');
      expect((await logged(millrace)).map((e) => e.data)).toEqual([2]);
    } finally {
      await backend.close();
    }
  });
});
