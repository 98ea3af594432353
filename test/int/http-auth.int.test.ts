/**
 * API keys over real HTTP: with no key in force a loopback server answers
 * without one; once a key exists every route but health needs a key with its
 * scope. Every route x {no key, a malformed header, an unknown key, a revoked
 * key, a key without the scope} is refused with the right 401 or 403, and the
 * database is as it was; the right key passes the same check. Every route on
 * one member (over /v1/members and the work queue's /consumer paths) also
 * refuses another member's token with 401, changing nothing.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyScope, Millrace } from '../../src/index.js';
import { createServer } from '../../src/server/server.js';
import { PROVIDERS, openBackend, type TestBackend } from '../support/providers.js';
import { waitFor } from '../support/wait.js';

const silent = pino({ level: 'silent' });
const UUID = '0190a6e2-7c4e-7a3b-9f1e-2a6b8c0d1e2f';
const UNKNOWN_KEY = `mrk_0123456789abcdef_${'A'.repeat(43)}`;

interface Route {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly access: KeyScope;
  /** A route on one member: its token, in the header (or already in the body). */
  readonly memberToken?: string;
}

interface StartedMember {
  readonly id: string;
  readonly token: string;
}

/** The routes on members, on `mine`, sent with `token` (another member's, or `mine`'s own). */
function memberRoutes(
  mine: StartedMember,
  queue: StartedMember,
  token: (own: StartedMember) => string,
): Route[] {
  const delivery = `d.0.1.1.${UUID}`;
  const member = `/v1/members/${mine.id}`;
  const onMember = { access: 'consume', memberToken: token(mine) } as const;
  const consumerToken = token(queue);
  return [
    {
      method: 'POST',
      path: '/v1/consumers/audit-http/members',
      access: 'consume',
      body: { sequence: 'category:order' },
    },
    { method: 'POST', path: `${member}/fetch`, body: { max: 10 }, ...onMember },
    {
      method: 'POST',
      path: `${member}/commit`,
      body: { results: [{ id: delivery, outcome: 'ok' }] },
      ...onMember,
    },
    {
      method: 'POST',
      path: `${member}/extend`,
      body: { ids: [delivery], byMs: 1000 },
      ...onMember,
    },
    { method: 'POST', path: `${member}/heartbeat`, ...onMember },
    { method: 'DELETE', path: member, ...onMember },
    {
      method: 'POST',
      path: '/publisher/add',
      access: 'publish',
      body: { service: 'jobs', payload: { n: 1 } },
    },
    { method: 'POST', path: '/consumer/start', access: 'consume', body: { service: 'jobs' } },
    {
      method: 'POST',
      path: `/consumer/${queue.id}/fetch`,
      access: 'consume',
      body: { consumerToken },
      memberToken: consumerToken,
    },
    {
      method: 'POST',
      path: `/consumer/${queue.id}/commit`,
      access: 'consume',
      body: { consumerToken, task: { id: delivery } },
      memberToken: consumerToken,
    },
    {
      method: 'POST',
      path: `/consumer/${queue.id}/stop`,
      access: 'consume',
      body: { consumerToken },
      memberToken: consumerToken,
    },
  ];
}

const ROUTES: Route[] = [
  {
    method: 'POST',
    path: '/v1/events',
    access: 'publish',
    body: { stream: 'order-9', subject: 'a.b', data: 1 },
  },
  { method: 'GET', path: '/v1/events', access: 'read' },
  { method: 'GET', path: '/v1/end', access: 'read' },
  { method: 'GET', path: '/v1/consumers', access: 'read' },
  { method: 'GET', path: '/v1/consumers/audit', access: 'read' },
  { method: 'POST', path: '/v1/consumers/audit/reset', access: 'admin', body: { to: 'end' } },
  {
    method: 'PUT',
    path: '/v1/consumers/audit-put',
    access: 'consume',
    body: { sequence: 'category:order' },
  },
  { method: 'GET', path: '/v1/bridges/ingress', access: 'read' },
  { method: 'GET', path: '/v1/dead-letters', access: 'read' },
  { method: 'GET', path: `/v1/dead-letters/audit/${UUID}`, access: 'read' },
  { method: 'POST', path: '/v1/dead-letters/retry', access: 'admin', body: { consumer: 'audit' } },
  {
    method: 'POST',
    path: '/v1/dead-letters/discard',
    access: 'admin',
    body: { consumer: 'audit' },
  },
  { method: 'POST', path: '/v1/prune', access: 'admin', body: { keepLast: 0, force: true } },
  { method: 'GET', path: '/v1/scheduled', access: 'read' },
  { method: 'DELETE', path: `/v1/scheduled/${UUID}`, access: 'publish' },
  {
    method: 'POST',
    path: '/v1/keys',
    access: 'admin',
    body: { name: 'sneaky', scopes: ['admin'] },
  },
  { method: 'GET', path: '/v1/keys', access: 'admin' },
  { method: 'DELETE', path: '/v1/keys/0123456789abcdef', access: 'admin' },
];

/** A key that lacks the scope a route needs. */
const LACKING: Record<KeyScope, KeyScope[]> = {
  admin: ['read', 'publish', 'consume'],
  publish: ['read', 'consume'],
  read: ['publish'],
  consume: ['read'],
};

describe.each(PROVIDERS)('API keys over HTTP on %s', (provider) => {
  let backend: TestBackend;
  let millrace: Millrace;
  let app: FastifyInstance;
  let base: string;
  const keys = new Map<string, string>();

  async function call(route: Omit<Route, 'access'>, authorization?: string) {
    const headers: Record<string, string> = {};
    if (authorization !== undefined) headers.authorization = authorization;
    if (route.memberToken !== undefined) headers['millrace-member-token'] = route.memberToken;
    if (route.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${base}${route.path}`, {
      method: route.method,
      headers,
      body: route.body === undefined ? undefined : JSON.stringify(route.body),
    });
    const body = (await response.json()) as {
      error?: { code: string; reason: string; message: string };
    } & Record<string, unknown>;
    return { status: response.status, body, challenge: response.headers.get('www-authenticate') };
  }

  /** Everything a refused request could have changed. */
  async function state() {
    const page = await millrace.read({ after: '0', limit: 10_000 });
    return {
      events: page.events.map((e) => e.id),
      keys: await millrace.keys.list(),
      consumer: (await millrace.consumerStatus('audit')).partitions,
      scheduled: await millrace.scheduledCount(),
      // Every consumer and its members: a member started, stopped or taken over shows. (An
      // idle member's positions move up to the log's end by themselves: not compared.)
      consumers: (await millrace.consumerStatuses()).map((status) => ({
        name: status.name,
        members: status.members.map((m) => m.id).sort(),
      })),
    };
  }

  /** Two members over HTTP and two work-queue consumers: each one's routes, the other's token. */
  const members: { http: StartedMember[]; queue: StartedMember[] } = { http: [], queue: [] };
  const allRoutes = (token: (own: StartedMember) => string = (own) => own.token) =>
    members.http.length === 0
      ? ROUTES
      : [
          ...ROUTES,
          ...memberRoutes(
            members.http[0] as StartedMember,
            members.queue[0] as StartedMember,
            token,
          ),
        ];

  beforeAll(async () => {
    backend = await openBackend(provider);
    millrace = await backend.open();
    await millrace.publish({ stream: 'order-1', subject: 'order.created', data: { n: 1 } });
    await millrace.publish({
      stream: 'order-2',
      subject: 'order.created',
      data: 2,
      deliverAt: new Date(Date.now() + 3_600_000),
    });
    const consumer = millrace.consumer({
      name: 'audit',
      sequence: { category: 'order' },
      handler: () => undefined,
    });
    await consumer.start();
    await consumer.stop();
    app = createServer({ millrace, logger: silent });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await app?.close();
    await backend?.close();
  });

  it('answers without a key while none is in force, and makes the first key so', async () => {
    expect((await call({ method: 'GET', path: '/v1/end' })).status).toBe(200);
    const created = await call({
      method: 'POST',
      path: '/v1/keys',
      body: { name: 'root', scopes: ['admin'] },
    });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^mrk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    keys.set('admin', created.body.key as string);
    // From now on a key is needed.
    const refused = await call({ method: 'GET', path: '/v1/end' });
    expect(refused.status).toBe(401);
    expect(refused.body.error).toMatchObject({ code: 'unauthorized', reason: 'missing_key' });
    expect(refused.challenge).toBe('Bearer realm="millrace"');
    // Never the secret again: listings show the id only.
    const listed = await call({ method: 'GET', path: '/v1/keys' }, `Bearer ${keys.get('admin')}`);
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).not.toContain((keys.get('admin') as string).slice(22));
  });

  it('makes a key per scope, and one it revokes', async () => {
    const admin = `Bearer ${keys.get('admin')}`;
    for (const scope of ['read', 'publish', 'consume'] as const) {
      const created = await call(
        { method: 'POST', path: '/v1/keys', body: { name: scope, scopes: [scope] } },
        admin,
      );
      keys.set(scope, created.body.key as string);
    }
    const lacking = await call(
      {
        method: 'POST',
        path: '/v1/keys',
        body: { name: 'all-but-admin', scopes: ['read', 'publish', 'consume'] },
      },
      admin,
    );
    keys.set('all-but-admin', lacking.body.key as string);
    const revoked = await call(
      { method: 'POST', path: '/v1/keys', body: { name: 'gone', scopes: ['admin'] } },
      admin,
    );
    const id = revoked.body.id as string;
    expect((await call({ method: 'DELETE', path: `/v1/keys/${id}` }, admin)).status).toBe(200);
    keys.set('revoked', revoked.body.key as string);
    const list = await millrace.keys.list();
    expect(list.map((k) => [k.name, k.revokedAt !== undefined])).toEqual([
      ['root', false],
      ['read', false],
      ['publish', false],
      ['consume', false],
      ['all-but-admin', false],
      ['gone', true],
    ]);
  });

  it('starts two members over HTTP and two work-queue consumers', async () => {
    const consume = `Bearer ${keys.get('consume')}`;
    for (let i = 0; i < 2; i++) {
      const http = await call(
        {
          method: 'POST',
          path: '/v1/consumers/audit-http/members',
          body: { sequence: 'category:order', sessionTimeoutMs: 600_000 },
        },
        consume,
      );
      expect(http.status).toBe(201);
      members.http.push({ id: http.body.memberId as string, token: http.body.token as string });
      const queue = await call(
        { method: 'POST', path: '/consumer/start', body: { service: 'jobs' } },
        consume,
      );
      expect(queue.status).toBe(201);
      members.queue.push({
        id: queue.body.consumerId as string,
        token: queue.body.consumerToken as string,
      });
    }
  });

  it("refuses another member's token on every route on a member, with the right key, and changes nothing", async () => {
    const other = (own: StartedMember) =>
      (own === members.http[0] ? members.http[1] : members.queue[1])?.token as string;
    const onMembers = allRoutes(other).filter((route) => route.memberToken !== undefined);
    expect(onMembers).toHaveLength(8);
    const before = await state();
    for (const route of onMembers) {
      const answer = await call(route, `Bearer ${keys.get('consume')}`);
      expect([route.method, route.path, answer.status, answer.body.error?.reason]).toEqual([
        route.method,
        route.path,
        401,
        'invalid_member_token',
      ]);
      // Neither token comes back in an error.
      expect(JSON.stringify(answer.body)).not.toMatch(/mmt_/);
    }
    expect(await state()).toEqual(before);
  });

  const credentials: [string, (route: Route) => string, number, string][] = [
    ['no key', () => '', 401, 'missing_key'],
    ['a Basic header', () => 'Basic cm9vdDpyb290', 401, 'invalid_authorization'],
    ['an unknown key', () => `Bearer ${UNKNOWN_KEY}`, 401, 'invalid_key'],
    ['text that is no key', () => 'Bearer hunter2', 401, 'invalid_key'],
    ['a revoked key', () => `Bearer ${keys.get('revoked')}`, 401, 'invalid_key'],
    [
      'a key without the scope',
      (route) => {
        const lacking = LACKING[route.access];
        return `Bearer ${keys.get(lacking.length === 3 ? 'all-but-admin' : (lacking[0] as string))}`;
      },
      403,
      'missing_scope',
    ],
  ];

  it.each(credentials)(
    'refuses %s on every route and changes nothing',
    async (_name, header, status, reason) => {
      const before = await state();
      for (const route of allRoutes()) {
        const authorization = header(route);
        const answer = await call(route, authorization === '' ? undefined : authorization);
        expect([route.method, route.path, answer.status]).toEqual([
          route.method,
          route.path,
          status,
        ]);
        expect(answer.body.error).toMatchObject({
          code: status === 401 ? 'unauthorized' : 'forbidden',
          reason,
        });
        if (status === 401) expect(answer.challenge).toBe('Bearer realm="millrace"');
        // A key's secret never comes back in an error.
        expect(JSON.stringify(answer.body)).not.toMatch(/mrk_[0-9a-f]{16}_/);
      }
      expect(await state()).toEqual(before);
    },
  );

  it('lets the key with the scope, and admin, past the check on every route', async () => {
    for (const route of ROUTES.filter((r) => r.method === 'GET')) {
      for (const key of [route.access, 'admin']) {
        const answer = await call(route, `Bearer ${keys.get(key)}`);
        expect([route.path, key, [401, 403].includes(answer.status)]).toEqual([
          route.path,
          key,
          false,
        ]);
      }
    }
    const published = await call(ROUTES[0] as Route, `Bearer ${keys.get('publish')}`);
    expect(published.status).toBe(201);
  });

  it('leaves health open to all', async () => {
    expect((await call({ method: 'GET', path: '/v1/health' })).status).toBe(200);
  });

  it('refuses a key made with a scope it does not know, and writes nothing', async () => {
    const before = await millrace.keys.list();
    const answer = await call(
      { method: 'POST', path: '/v1/keys', body: { name: 'x', scopes: ['superuser'] } },
      `Bearer ${keys.get('admin')}`,
    );
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'validation', reason: 'invalid_scope' });
    expect(await millrace.keys.list()).toEqual(before);
  });
});

describe('a server with no keys, bound beyond loopback', () => {
  let backend: TestBackend;
  let app: FastifyInstance;

  afterAll(async () => {
    await app?.close();
    await backend?.close();
  });

  it('answers 401 until a key exists, and never runs a route without access', async () => {
    backend = await openBackend('pglite');
    const millrace = await backend.open();
    app = createServer({ millrace, logger: silent });
    await app.listen({ port: 0, host: '0.0.0.0' });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const answer = await fetch(`${base}/v1/end`);
    expect(answer.status).toBe(401);
    expect(((await answer.json()) as { error: { reason: string } }).error.reason).toBe('no_keys');
    const key = await millrace.keys.create({ name: 'ops', scopes: ['read'] });
    // The server remembers "no keys" for at most a second.
    await waitFor(
      async () =>
        (await fetch(`${base}/v1/end`, { headers: { authorization: `Bearer ${key.key}` } }))
          .status === 200,
      'the new key to be seen',
    );
  });

  it('refuses a route added without an access', async () => {
    const other = await openBackend('pglite');
    try {
      const server = createServer({ millrace: await other.open(), logger: silent });
      expect(() => server.get('/v1/open', () => 'x')).toThrow(/names no access/);
      await server.close();
    } finally {
      await other.close();
    }
  });
});
