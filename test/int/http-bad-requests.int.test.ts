/**
 * Every bad request gets a clean 4xx over real HTTP: the status, the one
 * error shape `{ error: { code, reason, message, retriable } }` (router and
 * node parser refusals included), a message that quotes no more than a short
 * prefix of the input, `Allow` on a 405, and a log left as it was.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Millrace } from '../../src/index.js';
import { createServer } from '../../src/server/server.js';
import { PROVIDERS, openBackend, type TestBackend } from '../support/providers.js';
import { exchange, parseResponse, rawRequest, type RawRequest } from '../support/raw-http.js';

const silent = pino({ level: 'silent' });
const HUGE = 'x'.repeat(900 * 1024);
/** What no error message may hold: more of an input than its short prefix. */
const ECHO = 'x'.repeat(65);
const MAX_MESSAGE = 301;
const UUID = '0190a6e2-7c4e-7a3b-9f1e-2a6b8c0d1e2f';

interface Case {
  readonly name: string;
  readonly request: RawRequest;
  readonly status: number;
  readonly code: string;
  readonly reason: string;
  readonly allow?: string;
}

const event = (data: string, extra = '') =>
  `{"stream":"order-1","subject":"order.created","data":${data}${extra}}`;
const post = (body: string, path = '/v1/events'): RawRequest => ({ method: 'POST', path, body });

const CASES: Case[] = [
  // Text PostgreSQL cannot store, refused before it gets there.
  ...[
    ['a NUL in a data string', event('{"name":"a\\u0000b"}')],
    ['a NUL in a data key', event('{"a\\u0000":1}')],
    ['a NUL in metadata', event('1', ',"metadata":{"trace":"\\u0000"}')],
    ['a lone surrogate in data', event('"\\ud800"')],
    ['a lone low surrogate in a data key', event('{"\\udc00x":1}')],
    ['a lone surrogate in a metadata key', event('1', ',"metadata":{"\\udbff":1}')],
    ['a NUL in one event of a batch', `{"events":[${event('1')},${event('"\\u0000"')}]}`],
  ].map(([name = '', body = '']) => ({
    name,
    request: post(body),
    status: 400,
    code: 'validation',
    reason: 'invalid_character',
  })),
  {
    name: 'a lone surrogate in a stream',
    request: post('{"stream":"order-\\ud800","subject":"a.b","data":1}'),
    status: 400,
    code: 'validation',
    reason: 'invalid_stream',
  },
  {
    name: 'a NUL in a dead-letter filter',
    request: post('{"errorCode":"\\u0000"}', '/v1/dead-letters/retry'),
    status: 400,
    code: 'validation',
    reason: 'invalid_filter',
  },
  // Prototype keys: refused by name, not as "not JSON".
  ...[
    ['a __proto__ key', event('{"__proto__":{"admin":true}}')],
    ['an escaped __proto__ key', event('{"\\u005f_proto__":1}')],
    ['a constructor.prototype key', event('{"constructor":{"prototype":{}}}')],
  ].map(([name = '', body = '']) => ({
    name,
    request: post(body),
    status: 400,
    code: 'validation',
    reason: 'forbidden_key',
  })),
  // Query parameters checked by the wire schema.
  ...['garbage', `2026-02-30 10:00:00.5+00|${UUID}`, `1700000000000:not-a-uuid`].map((after) => ({
    name: `a dead-letter cursor ${after}`,
    request: { path: `/v1/dead-letters?after=${encodeURIComponent(after)}` },
    status: 400,
    code: 'validation',
    reason: 'invalid_query',
  })),
  ...[
    'garbage',
    `1700000000000:${UUID}`,
    '1767225600000000:0:1',
    '1767225600000000:-1',
    '9000000000000000000:1',
    '1767225600000000:9223372036854775808',
  ].map((after) => ({
    name: `a scheduled cursor ${after}`,
    request: { path: `/v1/scheduled?after=${encodeURIComponent(after)}` },
    status: 400,
    code: 'validation',
    reason: 'invalid_query',
  })),
  {
    name: 'a position past 2^63 - 1',
    request: { path: '/v1/events?after=9223372036854775808' },
    status: 400,
    code: 'validation',
    reason: 'invalid_position',
  },
  // Wrong methods: 405 with the path's methods.
  ...(
    [
      ['DELETE', '/v1/events', 'GET, HEAD, POST'],
      ['PATCH', '/v1/consumers/billing', 'GET, HEAD, PUT'],
      ['GET', '/v1/consumers/billing/reset', 'POST'],
      ['GET', '/v1/dead-letters/retry', 'POST'],
      ['POST', '/v1/health', 'GET, HEAD'],
      ['PATCH', `/v1/scheduled/${UUID}`, 'DELETE'],
    ] as const
  ).map(([method, path, allow]) => ({
    name: `${method} ${path}`,
    request: { method, path, ...(method === 'GET' ? {} : { body: '{}' }) },
    status: 405,
    code: 'validation',
    reason: 'method_not_allowed',
    allow,
  })),
  {
    name: 'an unknown path',
    request: { path: '/v1/nothing' },
    status: 404,
    code: 'not_found',
    reason: 'unknown_route',
  },
  // The router's and node's own refusals, in the same shape.
  {
    name: 'bad percent-encoding',
    request: { path: '/v1/consumers/%zz' },
    status: 400,
    code: 'validation',
    reason: 'bad_url',
  },
  {
    name: 'a path segment past any name',
    request: { path: `/v1/consumers/${'x'.repeat(300)}` },
    status: 414,
    code: 'validation',
    reason: 'uri_too_long',
  },
  {
    name: 'a 900 KB URL',
    request: { path: `/v1/consumers/${HUGE}` },
    status: 431,
    code: 'validation',
    reason: 'headers_too_large',
  },
  {
    name: 'a header past the limit',
    request: { path: '/v1/health', headers: { 'x-large': 'y'.repeat(20_000) } },
    status: 431,
    code: 'validation',
    reason: 'headers_too_large',
  },
  {
    name: 'a Host that is not this loopback server',
    request: { path: '/v1/health', host: 'rebound.example:7700' },
    status: 421,
    code: 'validation',
    reason: 'host_not_allowed',
  },
  // Inputs far too long: refused with a short prefix of them.
  ...[
    ['a 900 KB stream', `{"stream":"order-${HUGE}","subject":"a.b","data":1}`],
    ['a 900 KB subject', `{"stream":"order-1","subject":"${HUGE}","data":1}`],
    ['a 900 KB id', event('1', `,"id":"${HUGE}"`)],
    ['a 900 KB data key', event(`{"${HUGE}\\u0000":1}`)],
  ].map(([name = '', body = '']) => ({
    name,
    request: post(body),
    status: 400,
    code: 'validation',
    reason: name.includes('key') ? 'invalid_character' : `invalid_${name.split(' ')[3]}`,
  })),
  {
    name: 'a 900 KB unknown field',
    request: post(event('1', `,"${HUGE}":1`)),
    status: 400,
    code: 'validation',
    reason: 'invalid_body',
  },
  {
    name: 'a 900 KB prune duration',
    request: post(`{"olderThan":"${HUGE}"}`, '/v1/prune'),
    status: 400,
    code: 'validation',
    reason: 'invalid_duration',
  },
  {
    name: 'a 200-character consumer name',
    request: post('{"to":"end"}', `/v1/consumers/${'x'.repeat(200)}/reset`),
    status: 400,
    code: 'validation',
    reason: 'invalid_consumer_name',
  },
];

describe.each(PROVIDERS)('bad requests over HTTP on %s', (provider) => {
  let backend: TestBackend;
  let millrace: Millrace;
  let app: FastifyInstance;
  let port: number;

  /** What must not change: how many events the log holds, and where its last one is. */
  async function logState(): Promise<{ count: number; last: string | undefined }> {
    let count = 0;
    let last: string | undefined;
    for (let after = '0'; ;) {
      const page = await millrace.read({ after, limit: 10_000 });
      count += page.events.length;
      last = page.events.at(-1)?.position ?? last;
      if (!page.hasMore) return { count, last };
      after = page.next;
    }
  }

  beforeAll(async () => {
    backend = await openBackend(provider);
    millrace = await backend.open();
    await millrace.publish({ stream: 'order-1', subject: 'order.created', data: { n: 1 } });
    app = createServer({ millrace, logger: silent });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await app.close();
    await backend.close();
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = await logState();
    const response = await rawRequest(port, c.request);
    expect(response.status).toBe(c.status);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const { error } = JSON.parse(response.body) as {
      error: { code: string; reason: string; message: string; retriable: boolean };
    };
    expect(error).toMatchObject({ code: c.code, reason: c.reason, retriable: false });
    expect(Object.keys(error).filter((key) => key !== 'details')).toEqual([
      'code',
      'reason',
      'message',
      'retriable',
    ]);
    expect(error.message.length).toBeGreaterThan(0);
    expect(error.message.length).toBeLessThan(MAX_MESSAGE);
    expect(response.body).not.toContain(ECHO);
    expect(response.body.length).toBeLessThan(2000);
    if (c.allow !== undefined) expect(response.headers.allow).toBe(c.allow);
    expect(await logState()).toEqual(before);
  });

  it('a position message names the largest position exactly', async () => {
    const response = await rawRequest(port, { path: '/v1/events?after=9223372036854775808' });
    const { error } = JSON.parse(response.body) as { error: { message: string } };
    expect(error.message).toContain('9223372036854775807');
    const last = await rawRequest(port, { path: '/v1/events?after=9223372036854775807' });
    expect(last.status).toBe(200);
  });

  it('loopback Host names with any port are answered', async () => {
    for (const host of ['localhost', 'LOCALHOST:1', '127.0.0.1:7700', '[::1]:80', '127.1.2.3']) {
      expect((await rawRequest(port, { path: '/v1/health', host })).status).toBe(200);
    }
  });

  it('a request malformed at the HTTP level gets 400 in the one shape', async () => {
    const response = parseResponse(await exchange(port, 'NOT HTTP AT ALL\r\n\r\n'));
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({
      error: { code: 'validation', reason: 'bad_request', retriable: false },
    });
  });
});
