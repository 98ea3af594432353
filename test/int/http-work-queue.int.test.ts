/**
 * The work queue in imicros-flow-worker's shape, over real HTTP on both
 * PostgreSQL providers: a service adds tasks, a consumer starts, fetches
 * one task at a time and commits it; a stop hands a task not committed to
 * the next consumer. With keys in force, the key may come as `serviceToken`
 * in the body, and a wrong one is refused with nothing written.
 */
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Millrace } from '../../src/index.js';
import { createServer } from '../../src/server/server.js';
import { PROVIDERS, openBackend, type TestBackend } from '../support/providers.js';

interface TaskJson {
  id: string;
  uid: string;
  service: string;
  payload: unknown;
  attempt: number;
}

const silent = pino({ level: 'silent' });

describe.each(PROVIDERS)('the work queue on %s', (provider) => {
  let backend: TestBackend;
  let millrace: Millrace;
  let app: FastifyInstance;
  let base: string;

  async function post<T>(path: string, body: unknown, key?: string) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (key !== undefined) headers.authorization = `Bearer ${key}`;
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as T };
  }

  beforeAll(async () => {
    backend = await openBackend(provider);
    millrace = await backend.open({ logger: silent });
    app = createServer({ millrace, logger: silent });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await app?.close();
    await backend?.close();
  });

  it('adds, starts, fetches, commits and stops; a task not committed goes to the next consumer', async () => {
    const added = await post<{ uid: string; service: string }>('/publisher/add', {
      service: 'mailer',
      payload: { to: 'a@example.com' },
    });
    expect(added).toMatchObject({ status: 201, body: { service: 'mailer' } });
    await post('/publisher/add', { service: 'mailer', payload: { to: 'b@example.com' } });

    const started = await post<{ consumerId: string; consumerToken: string }>('/consumer/start', {
      service: 'mailer',
      partitions: 1,
    });
    expect(started.status).toBe(201);
    const { consumerId, consumerToken } = started.body;
    const first = await post<{ task: TaskJson | null }>(`/consumer/${consumerId}/fetch`, {
      consumerToken,
    });
    expect(first.body.task).toMatchObject({ uid: added.body.uid, service: 'mailer', attempt: 1 });
    const committed = await post<{ status: string }>(`/consumer/${consumerId}/commit`, {
      consumerToken,
      task: first.body.task,
      result: { sent: true },
    });
    expect(committed.body).toMatchObject({ status: 'applied', result: { sent: true } });
    const second = await post<{ task: TaskJson | null }>(`/consumer/${consumerId}/fetch`, {
      consumerToken,
    });
    expect(second.body.task?.payload).toEqual({ to: 'b@example.com' });
    expect((await post(`/consumer/${consumerId}/stop`, { consumerToken })).body).toEqual({
      done: true,
    });

    const next = await post<{ consumerId: string; consumerToken: string }>('/consumer/start', {
      service: 'mailer',
      partitions: 1,
    });
    const again = await post<{ task: TaskJson | null }>(`/consumer/${next.body.consumerId}/fetch`, {
      consumerToken: next.body.consumerToken,
    });
    expect(again.body.task).toMatchObject({ uid: second.body.task?.uid, attempt: 1 });
    const wrongToken = await post(`/consumer/${next.body.consumerId}/fetch`, {
      consumerToken: 'mmt_wrong',
    });
    expect(wrongToken.status).toBe(401);
    await post(`/consumer/${next.body.consumerId}/stop`, {
      consumerToken: next.body.consumerToken,
    });
  });

  it('takes the key from serviceToken once keys are in force, and refuses a wrong one', async () => {
    // Made through the server, so it knows at once that keys are in force.
    const made = await post<{ id: string; key: string }>('/v1/keys', {
      name: 'queue',
      scopes: ['publish', 'consume'],
    });
    expect(made.status).toBe(201);
    const key = made.body;
    try {
      const before = (await millrace.read({ limit: 10_000 })).events.length;
      const refused = await post<{ error: { reason: string } }>('/publisher/add', {
        service: 'billing',
        payload: 1,
        serviceToken: 'mrk_0000000000000000_not-a-key',
      });
      expect(refused).toMatchObject({ status: 401, body: { error: { reason: 'invalid_key' } } });
      const missing = await post('/consumer/start', { service: 'billing' });
      expect(missing.status).toBe(401);
      expect((await millrace.read({ limit: 10_000 })).events.length).toBe(before);

      const added = await post('/publisher/add', {
        service: 'billing',
        payload: 1,
        serviceToken: key.key,
      });
      expect(added.status).toBe(201);
      const started = await post<{ consumerId: string; consumerToken: string }>('/consumer/start', {
        service: 'billing',
        partitions: 1,
        serviceToken: key.key,
      });
      expect(started.status).toBe(201);
      // The header works as on every route.
      const fetched = await post<{ task: TaskJson | null }>(
        `/consumer/${started.body.consumerId}/fetch`,
        { consumerToken: started.body.consumerToken },
        key.key,
      );
      expect(fetched.body.task?.payload).toBe(1);
      await post(
        `/consumer/${started.body.consumerId}/stop`,
        { consumerToken: started.body.consumerToken },
        key.key,
      );
    } finally {
      await millrace.keys.revoke(key.id);
    }
  });
});
