/**
 * Members over HTTP on the Kafka provider: the server hosts a member of a
 * consumer whose group is Kafka's, and a worker fetches and commits through
 * it as over PostgreSQL: what it commits is not handed out again, a retry
 * comes back as the next attempt, and a stop hands what was not committed
 * to the next member unhandled.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Millrace, kafka } from '../../src/index.js';
import { createServer } from '../../src/server/server.js';
import { deleteKafkaNamespace, kafkaBrokers } from '../support/kafka.js';
import { httpCall, takeDeliveries } from '../support/http-call.js';
import { waitFor } from '../support/wait.js';

interface DeliveryJson {
  id: string;
  attempt: number;
  event: { id: string; data: number };
}

const brokers = kafkaBrokers();
const prefix = `gw${randomUUID().slice(0, 8)}`;

describe('members over HTTP on kafka', () => {
  let millrace: Millrace;
  let app: FastifyInstance;
  let base: string;

  const call = <T>(method: string, path: string, body?: unknown, token?: string) =>
    httpCall<T>(base, method, path, { body, token });

  async function start() {
    const started = await call<{ memberId: string; token: string }>(
      'POST',
      '/v1/consumers/billing/members',
      { sequence: 'category:order', ordering: 'none' },
    );
    expect(started.status).toBe(201);
    return started.body;
  }

  const take = (member: { memberId: string; token: string }, count: number) =>
    takeDeliveries<DeliveryJson>(base, member, count, 60_000);

  beforeAll(async () => {
    millrace = await Millrace.open({
      provider: kafka({ brokers, prefix }),
      logger: pino({ level: 'silent' }),
    });
    app = createServer({ millrace, logger: pino({ level: 'silent' }) });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await app?.close();
    await millrace?.close();
    await deleteKafkaNamespace(brokers, prefix);
  });

  it('fetches, commits, retries, and hands over on stop', async () => {
    const first = await start();
    await millrace.publishBatch(
      Array.from({ length: 10 }, (_, n) => ({
        stream: `order-${n}`,
        subject: 'order.created',
        data: n,
      })),
    );
    const taken = await take(first, 10);
    expect(new Set(taken.map((d) => d.event.data))).toEqual(
      new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
    );
    const [retried, held, ...rest] = taken as [DeliveryJson, DeliveryJson, ...DeliveryJson[]];
    const committed = await call<{ results: { status: string }[] }>(
      'POST',
      `/v1/members/${first.memberId}/commit`,
      {
        results: [
          { id: retried.id, outcome: 'retry', afterMs: 0 },
          ...rest.map((d) => ({ id: d.id, outcome: 'ok' })),
        ],
      },
      first.token,
    );
    expect(committed.body.results.every((r) => r.status === 'applied')).toBe(true);
    const [again] = await take(first, 1);
    expect(again).toMatchObject({ attempt: 2, event: { id: retried.event.id } });
    await call(
      'POST',
      `/v1/members/${first.memberId}/commit`,
      {
        results: [{ id: (again as DeliveryJson).id, outcome: 'ok' }],
      },
      first.token,
    );

    // `held` was never committed: a stop hands it to the next member, unhandled.
    expect(
      (await call('DELETE', `/v1/members/${first.memberId}`, undefined, first.token)).status,
    ).toBe(200);
    const second = await start();
    // Events after `held` in its partition come again too (its position stopped before
    // `held`): at least once. `held` itself comes with no attempt counted.
    const redelivered: DeliveryJson[] = [];
    await waitFor(
      async () => {
        const { body } = await call<{ deliveries: DeliveryJson[] }>(
          'POST',
          `/v1/members/${second.memberId}/fetch`,
          { max: 10, wait: 2000 },
          second.token,
        );
        redelivered.push(...body.deliveries);
        if (body.deliveries.length > 0) {
          await call(
            'POST',
            `/v1/members/${second.memberId}/commit`,
            { results: body.deliveries.map((d) => ({ id: d.id, outcome: 'ok' })) },
            second.token,
          );
        }
        return redelivered.some((d) => d.event.id === held.event.id);
      },
      'the delivery the stopped member held',
      60_000,
    );
    expect(redelivered.find((d) => d.event.id === held.event.id)?.attempt).toBe(1);
    await call('DELETE', `/v1/members/${second.memberId}`, undefined, second.token);
  });
});
