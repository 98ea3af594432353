/**
 * `GET /v1/bridges/:name` over real HTTP, against a real bridge from Redis
 * Pub/Sub into PostgreSQL in this process: the answer is the bridge's last
 * checkpoint (leader, term, times as ISO strings, the leader's counts), an
 * unknown bridge is a 404 and a name no bridge may have a 400, both in the
 * one error shape; a `read` key may call it once keys are in force. The
 * CLI's HttpClient and DirectClient answer the same status, and fail alike.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bridge } from '../../src/bridge/bridge.js';
import { DirectClient } from '../../src/cli/client/direct-client.js';
import { HttpClient } from '../../src/cli/client/http-client.js';
import { Millrace, postgres, readBridgeStatus, redisPubSub } from '../../src/index.js';
import { createServer } from '../../src/server/server.js';
import {
  TEST_DATABASE_URL,
  assertPostgresReachable,
  dropSchema,
  uniqueSchema,
} from '../support/database.js';
import { TEST_REDIS_URL, checkRedis } from '../support/redis.js';
import { recordingLogger, waitFor } from '../support/wait.js';

const silent = pino({ level: 'silent' });
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

interface ErrorJson {
  error: { code: string; reason: string; message: string; details?: Record<string, unknown> };
}

describe('GET /v1/bridges/:name on PostgreSQL', () => {
  const schema = uniqueSchema('bridges');
  const channel = `ch-${randomUUID()}`;
  const startedAt = Date.now();
  let millrace: Millrace;
  let publisher: Redis;
  let bridge: Bridge;
  let app: FastifyInstance;
  let base: string;

  async function get(path: string, key?: string) {
    const headers: Record<string, string> =
      key === undefined ? {} : { authorization: `Bearer ${key}` };
    const response = await fetch(`${base}${path}`, { headers });
    return {
      status: response.status,
      type: response.headers.get('content-type') ?? '',
      body: (await response.json()) as Record<string, unknown> & Partial<ErrorJson>,
    };
  }

  beforeAll(async () => {
    await assertPostgresReachable();
    await checkRedis();
    publisher = new Redis(TEST_REDIS_URL);
    millrace = await Millrace.open({
      provider: postgres({ connectionString: TEST_DATABASE_URL, schema }),
      logger: recordingLogger(),
    });
    app = createServer({ millrace, logger: silent });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

    bridge = millrace.bridge({
      name: 'ingress',
      source: redisPubSub({ url: TEST_REDIS_URL, channels: [channel] }),
      to: 'reading',
      leaseMs: 1000,
    });
    await bridge.start();
    await waitFor(() => bridge.status().takeovers === 1, 'the takeover');
    await publisher.publish(channel, 'x');
    await waitFor(() => bridge.status().appended === 1, 'the message appended');
  });

  afterAll(async () => {
    await app?.close();
    // Stops the bridge too.
    await millrace?.close();
    publisher?.disconnect();
    await dropSchema(schema);
  });

  it("answers the bridge's last checkpoint: this process leads, in its term, with its counts", async () => {
    const local = bridge.status();
    const answer = await get('/v1/bridges/ingress');
    expect(answer.status).toBe(200);
    expect(answer.type).toMatch(/^application\/json/);
    const { since, lastWrite, ...rest } = answer.body as {
      since: string;
      lastWrite: string;
      received: number;
    };
    expect(rest).toEqual({
      name: 'ingress',
      leader: { holder: local.holder, host: hostname(), pid: process.pid },
      term: local.term,
      // The term's checkpoint, then one batch with the message.
      batches: 1,
      // The counts are those written with the last checkpoint, here the batch's own.
      received: expect.any(Number) as number,
      appended: 1,
      deduplicated: 0,
      dropped: 0,
    });
    expect(rest.received).toBeGreaterThanOrEqual(1);
    expect(since).toMatch(ISO);
    expect(lastWrite).toMatch(ISO);
    expect(Date.parse(since)).toBeGreaterThanOrEqual(startedAt - 1000);
    expect(Date.parse(lastWrite)).toBeGreaterThanOrEqual(Date.parse(since) - 1000);
    expect(Date.parse(lastWrite)).toBeLessThanOrEqual(Date.now() + 1000);
    // The same as the library reads it.
    const direct = await readBridgeStatus(millrace, 'ingress');
    expect(new Date(since)).toEqual(direct.since);
    expect(new Date(lastWrite)).toEqual(direct.lastWrite);
  });

  it('answers 404 bridge_not_found for a bridge that never wrote', async () => {
    const answer = await get('/v1/bridges/never-started');
    expect(answer.status).toBe(404);
    expect(answer.type).toMatch(/^application\/json/);
    expect(answer.body).toEqual({
      error: {
        code: 'not_found',
        reason: 'bridge_not_found',
        message: expect.stringContaining('never-started') as string,
        retriable: false,
      },
    });
  });

  it.each([
    ['a name starting with a dot', '.hidden'],
    ['a space', 'in%20gress'],
    ['65 characters', 'b'.repeat(65)],
  ])('answers 400 invalid_option for %s', async (_what, name) => {
    const answer = await get(`/v1/bridges/${name}`);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({
      code: 'validation',
      reason: 'invalid_option',
      details: { option: 'name' },
    });
  });

  it('gives the same status through the HTTP client and the direct client', async () => {
    const http = new HttpClient(base);
    const direct = new DirectClient(millrace, 'the test database');
    const [overHttp, opened] = await Promise.all([
      http.bridgeStatus('ingress'),
      direct.bridgeStatus('ingress'),
    ]);
    expect(overHttp).toEqual(opened);
    expect(overHttp.since).toBeInstanceOf(Date);
    expect(overHttp.lastWrite).toBeInstanceOf(Date);
    expect(overHttp).toMatchObject({ name: 'ingress', appended: 1, batches: 1 });

    // And fail alike: the same code and reason, whichever way the command went.
    const failure = async (promise: Promise<unknown>) => {
      const error = (await promise.then(
        () => undefined,
        (e: unknown) => e,
      )) as { code?: string; reason?: string } | undefined;
      return { code: error?.code, reason: error?.reason };
    };
    for (const [name, code, reason] of [
      ['never-started', 'not_found', 'bridge_not_found'],
      ['.hidden', 'validation', 'invalid_option'],
    ] as const) {
      expect(await failure(http.bridgeStatus(name))).toEqual({ code, reason });
      expect(await failure(direct.bridgeStatus(name))).toEqual({ code, reason });
    }
  });

  // Last: once a key exists, every call needs one.
  it('lets a read key call it once keys are in force, and refuses no key and a key without read', async () => {
    const admin = await fetch(`${base}/v1/keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'root', scopes: ['admin'] }),
    });
    expect(admin.status).toBe(201);
    const adminKey = ((await admin.json()) as { key: string }).key;
    const make = async (scope: string) => {
      const created = await fetch(`${base}/v1/keys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
        body: JSON.stringify({ name: scope, scopes: [scope] }),
      });
      expect(created.status).toBe(201);
      return ((await created.json()) as { key: string }).key;
    };
    const readKey = await make('read');
    const publishKey = await make('publish');

    expect((await get('/v1/bridges/ingress', readKey)).status).toBe(200);
    expect((await get('/v1/bridges/never-started', readKey)).status).toBe(404);
    const none = await get('/v1/bridges/ingress');
    expect([none.status, none.body.error?.reason]).toEqual([401, 'missing_key']);
    const lacking = await get('/v1/bridges/ingress', publishKey);
    expect([lacking.status, lacking.body.error?.reason]).toEqual([403, 'missing_scope']);

    const status = await new HttpClient(base, readKey).bridgeStatus('ingress');
    expect(status).toEqual(await readBridgeStatus(millrace, 'ingress'));
  });
});
