/**
 * Any server serves any member: two servers over one PostgreSQL database,
 * real HTTP. A member started on one answers every call made on the other
 * (passed on to its server), tokens are checked wherever the call lands,
 * and a server that stops leaves its members to the next server called:
 * the member goes on under its id and token, deliveries handed out before
 * are fenced, and their events come again.
 */
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Millrace } from '../../src/index.js';
import { createServer } from '../../src/server/server.js';
import { openBackend, type TestBackend } from '../support/providers.js';
import { httpCall, takeDeliveries } from '../support/http-call.js';

interface DeliveryJson {
  id: string;
  event: { id: string; stream: string };
}
interface FetchJson {
  deliveries: DeliveryJson[];
  partitions: number[];
}
interface ItemsJson {
  results: { id: string; status: string }[];
}
interface ErrorJson {
  error: { code: string; reason: string };
}
interface StartedJson {
  memberId: string;
  token: string;
}

const silent = pino({ level: 'silent' });

describe('members over HTTP across two servers', () => {
  let backend: TestBackend;
  const apps: FastifyInstance[] = [];
  const bases: string[] = [];
  let publisher: Millrace;
  let consumerSeq = 0;

  async function serve(): Promise<string> {
    const millrace = await backend.open();
    const app = createServer({ millrace, logger: silent });
    apps.push(app);
    return app.listen({ host: '127.0.0.1', port: 0 });
  }

  beforeAll(async () => {
    backend = await openBackend('postgres');
    publisher = await backend.open();
    bases.push(await serve(), await serve());
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await backend?.close();
  });

  async function startOn(base: string, consumer: string): Promise<StartedJson> {
    const started = await httpCall<StartedJson>(base, 'POST', `/v1/consumers/${consumer}/members`, {
      body: { sequence: `category:${consumer}`, partitions: 1 },
    });
    expect(started.status).toBe(201);
    return started.body;
  }

  const takeOn = (base: string, member: StartedJson, count: number) =>
    takeDeliveries<DeliveryJson>(base, member, count, 30_000);

  /** The consumer's members by their identity among its members (a taken-over one gets a suffix). */
  async function membersOf(consumer: string): Promise<string[]> {
    const status = await httpCall<{ members: { id: string }[] }>(
      bases[0] as string,
      'GET',
      `/v1/consumers/${consumer}`,
    );
    return status.body.members.map((m) => m.id).sort();
  }

  async function publish(consumer: string, count: number): Promise<string[]> {
    const events = await publisher.publishBatch(
      Array.from({ length: count }, (_, n) => ({
        stream: `${consumer}-${n}`,
        subject: 'thing.done',
        data: { n },
      })),
    );
    return events.map((event) => event.id);
  }

  it('answers every call on a member from either server', async () => {
    const consumer = `peer${++consumerSeq}`;
    const [a, b] = bases as [string, string];
    const member = await startOn(a, consumer);
    const ids = await publish(consumer, 5);
    const path = `/v1/members/${member.memberId}`;

    const taken = await takeOn(b, member, 5);
    expect(taken.map((d) => d.event.id).sort()).toEqual([...ids].sort());
    const heartbeat = await httpCall<FetchJson>(b, 'POST', `${path}/heartbeat`, {
      token: member.token,
    });
    expect(heartbeat).toMatchObject({ status: 200, body: { partitions: [0] } });
    const extended = await httpCall<ItemsJson>(b, 'POST', `${path}/extend`, {
      body: { ids: [taken[0]?.id], byMs: 60_000 },
      token: member.token,
    });
    expect(extended.body.results).toEqual([{ id: taken[0]?.id, status: 'applied' }]);
    const committed = await httpCall<ItemsJson>(b, 'POST', `${path}/commit`, {
      body: { results: taken.map((d) => ({ id: d.id, outcome: 'ok' })) },
      token: member.token,
    });
    expect(committed.body.results.map((r) => r.status)).toEqual(Array(5).fill('applied'));
    // Passed on, not taken over: the member still runs as it started, on its first server.
    expect(await membersOf(consumer)).toEqual([member.memberId]);

    // The token is checked wherever the call lands; an id never started is unknown on both.
    const other = await startOn(b, consumer);
    const wrong = await httpCall<ErrorJson>(b, 'POST', `${path}/heartbeat`, { token: other.token });
    expect(wrong).toMatchObject({
      status: 401,
      body: { error: { reason: 'invalid_member_token' } },
    });
    const unknown = await httpCall<ErrorJson>(b, 'POST', '/v1/members/http-nobody/heartbeat', {
      token: member.token,
    });
    expect(unknown).toMatchObject({ status: 404, body: { error: { reason: 'unknown_member' } } });

    // Stopped through one server, it is stopped on both.
    expect((await httpCall(b, 'DELETE', path, { token: member.token })).status).toBe(200);
    const late = await httpCall<ErrorJson>(a, 'POST', `${path}/fetch`, {
      body: {},
      token: member.token,
    });
    expect(late).toMatchObject({ status: 409, body: { error: { reason: 'member_stopped' } } });
    await httpCall(b, 'DELETE', `/v1/members/${other.memberId}`, { token: other.token });
  });

  it('goes on under its id on the next server called when its server stops', async () => {
    const consumer = `peer${++consumerSeq}`;
    const base = await serve();
    const member = await startOn(base, consumer);
    const ids = await publish(consumer, 3);
    const held = await takeOn(base, member, 3);
    await (apps.at(-1) as FastifyInstance).close();

    // The next call, on another server, takes the member over: what it held is fenced...
    const [b] = bases as [string];
    const path = `/v1/members/${member.memberId}`;
    const late = await httpCall<ItemsJson>(b, 'POST', `${path}/commit`, {
      body: { results: held.map((d) => ({ id: d.id, outcome: 'ok' })) },
      token: member.token,
    });
    expect(late).toMatchObject({ status: 200 });
    expect(late.body.results.map((r) => r.status)).toEqual(['fenced', 'fenced', 'fenced']);
    // ...and its events come again, to the same member, on its new server.
    const again = await takeOn(b, member, 3);
    expect(again.map((d) => d.event.id).sort()).toEqual([...ids].sort());
    const committed = await httpCall<ItemsJson>(b, 'POST', `${path}/commit`, {
      body: { results: again.map((d) => ({ id: d.id, outcome: 'ok' })) },
      token: member.token,
    });
    expect(committed.body.results.map((r) => r.status)).toEqual(Array(3).fill('applied'));
    const [identity] = await membersOf(consumer);
    expect(identity).toMatch(new RegExp(`^${member.memberId}\\.[0-9a-f]{6}$`));
    expect((await httpCall(b, 'DELETE', path, { token: member.token })).status).toBe(200);
  });
});
