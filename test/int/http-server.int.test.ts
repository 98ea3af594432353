/**
 * The HTTP server over both PostgreSQL providers, through fastify's inject:
 * publishing, reading, long polling, consumers, and every kind of bad input,
 * which must get a 4xx with a reason and write nothing.
 */
import type { FastifyInstance, InjectOptions } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Event, Millrace } from '../../src/index.js';
import { createServer } from '../../src/server/server.js';
import { PROVIDERS, openBackend, type TestBackend } from '../support/providers.js';
import { waitFor } from '../support/wait.js';

const MAX_EVENT_BYTES = 2048;
const BODY_LIMIT = 64 * 1024;
const INJECTION = "order'; DROP TABLE x;--";

interface PublishedJson {
  id: string;
  stream: string;
  position: string;
  version: number;
  time: string;
}

interface EventJson {
  id: string;
  stream: string;
  category: string;
  subject: string;
  data: unknown;
  metadata: Record<string, unknown>;
  position: string;
  version: number;
  time: string;
}

interface ReadJson {
  events: EventJson[];
  next: string;
  hasMore: boolean;
  pending: boolean;
}

interface ErrorJson {
  error: { code: string; reason: string; message: string; details?: Record<string, unknown> };
}

const silent = pino({ level: 'silent' });

describe.each(PROVIDERS)('HTTP server on %s', (provider) => {
  let backend: TestBackend;
  let millrace: Millrace;
  let app: FastifyInstance;

  const inject = (options: InjectOptions | string) => app.inject(options);
  /**
   * Publishes, and once published waits until the events are readable: an
   * open transaction anywhere on the database server (another test's, or
   * another suite's) holds the readable end back until it ends.
   */
  const publish = async (payload: InjectOptions['payload']) => {
    const response = await inject({ method: 'POST', url: '/v1/events', payload });
    if (response.statusCode !== 201) return response;
    const positions = response.json<{ events: { position?: string }[] }>().events;
    const last = positions.map((e) => BigInt(e.position ?? '0')).reduce((a, b) => (a > b ? a : b));
    await waitFor(
      async () => BigInt((await inject('/v1/end')).json<{ position: string }>().position) >= last,
      'the published events to be readable',
    );
    return response;
  };

  async function readAll(): Promise<Event[]> {
    const events: Event[] = [];
    for (let after = '0'; ;) {
      const page = await millrace.read({ after, limit: 10_000 });
      events.push(...page.events);
      if (!page.hasMore) return events;
      after = page.next;
    }
  }

  /** Every bad request: the status, the reason, and an unchanged log. */
  async function expectRejected(
    request: InjectOptions | string,
    status: number,
    reason: string,
  ): Promise<ErrorJson['error']> {
    const before = await readAll();
    const response = await inject(request);
    expect(response.statusCode).toBe(status);
    const body = response.json<ErrorJson>();
    expect(body.error.reason).toBe(reason);
    expect(typeof body.error.code).toBe('string');
    expect(body.error.message.length).toBeGreaterThan(0);
    expect(await readAll()).toEqual(before);
    return body.error;
  }

  beforeAll(async () => {
    backend = await openBackend(provider);
    millrace = await backend.open({ maxEventBytes: MAX_EVENT_BYTES });
    app = createServer({ millrace, logger: silent, bodyLimit: BODY_LIMIT });
  });

  afterAll(async () => {
    await app.close();
    await backend.close();
  });

  it('GET /v1/health names the provider', async () => {
    const response = await inject('/v1/health');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok', provider });
  });

  it('POST /v1/events publishes one event; GET reads it back', async () => {
    const response = await publish({
      stream: 'order-1',
      subject: 'order.created',
      data: { total: 5 },
      metadata: { correlationId: 'c-1' },
    });
    expect(response.statusCode).toBe(201);
    const [published] = response.json<{ events: PublishedJson[] }>().events;
    expect(published).toMatchObject({ stream: 'order-1', version: 0 });
    expect(published?.position).toMatch(/^[0-9]+$/);
    expect(new Date(published?.time ?? '').toISOString()).toBe(published?.time);

    const read = (await inject('/v1/events?stream=order-1')).json<ReadJson>();
    expect(read.events).toHaveLength(1);
    expect(read.events[0]).toMatchObject({
      id: published?.id,
      stream: 'order-1',
      category: 'order',
      subject: 'order.created',
      data: { total: 5 },
      metadata: { correlationId: 'c-1' },
      position: published?.position,
      version: 0,
    });
    expect(read).toMatchObject({ hasMore: false, pending: false });
  });

  it('POST /v1/events publishes a batch atomically, versions in order', async () => {
    const response = await publish({
      events: [
        { stream: 'order-2', subject: 'order.created', data: null },
        { stream: 'order-2', subject: 'order.paid', data: { amount: 5 } },
        { stream: 'cart-1', subject: 'cart.item_added', data: [1, 2], expectedVersion: -1 },
      ],
    });
    expect(response.statusCode).toBe(201);
    const { events } = response.json<{ events: PublishedJson[] }>();
    expect(events.map((e) => [e.stream, e.version])).toEqual([
      ['order-2', 0],
      ['order-2', 1],
      ['cart-1', 0],
    ]);
    const positions = events.map((e) => BigInt(e.position));
    expect([...positions].sort((a, b) => (a < b ? -1 : 1))).toEqual(positions);
  });

  it('GET /v1/events filters by sequence and subjects, and pages with after', async () => {
    const log = (await inject('/v1/events')).json<ReadJson>();
    expect(log.events.map((e) => e.stream)).toEqual(['order-1', 'order-2', 'order-2', 'cart-1']);

    const category = (await inject('/v1/events?sequence=category:order')).json<ReadJson>();
    expect(category.events).toHaveLength(3);
    expect((await inject('/v1/events?category=cart')).json<ReadJson>().events).toHaveLength(1);
    const stream = (await inject('/v1/events?sequence=stream:order-2')).json<ReadJson>();
    expect(stream.events.map((e) => e.subject)).toEqual(['order.created', 'order.paid']);

    const subjects = (await inject('/v1/events?subjects=order.paid,cart.*')).json<ReadJson>();
    expect(subjects.events.map((e) => e.subject)).toEqual(['order.paid', 'cart.item_added']);

    const first = (await inject('/v1/events?limit=2')).json<ReadJson>();
    expect(first.events).toHaveLength(2);
    expect(first.hasMore).toBe(true);
    const rest = (await inject(`/v1/events?after=${first.next}&limit=10`)).json<ReadJson>();
    expect(rest.events.map((e) => e.stream)).toEqual(['order-2', 'cart-1']);
    expect(rest.hasMore).toBe(false);
  });

  it('GET /v1/end is the position after the last event', async () => {
    const { position } = (await inject('/v1/end')).json<{ position: string }>();
    const log = (await inject('/v1/events')).json<ReadJson>();
    expect(BigInt(position)).toBeGreaterThanOrEqual(BigInt(log.events.at(-1)?.position ?? '0'));
    expect((await inject(`/v1/events?after=${position}`)).json<ReadJson>().events).toEqual([]);
  });

  it('a long poll returns as soon as a matching event is published', async () => {
    const { position } = (await inject('/v1/end')).json<{ position: string }>();
    const started = Date.now();
    const polling = inject(`/v1/events?category=order&after=${position}&wait=20000`);
    setTimeout(() => {
      void millrace
        .publish({ stream: 'cart-9', subject: 'cart.item_added', data: 1 })
        .then(() => millrace.publish({ stream: 'order-9', subject: 'order.created', data: 9 }));
    }, 200);
    const response = await polling;
    const elapsed = Date.now() - started;
    expect(response.statusCode).toBe(200);
    expect(response.json<ReadJson>().events.map((e) => e.stream)).toEqual(['order-9']);
    expect(elapsed).toBeGreaterThanOrEqual(150);
    expect(elapsed).toBeLessThan(10_000);
  });

  it('a long poll with nothing to read times out empty', async () => {
    const { position } = (await inject('/v1/end')).json<{ position: string }>();
    const started = Date.now();
    const response = await inject(`/v1/events?stream=order-404&after=${position}&wait=400`);
    const elapsed = Date.now() - started;
    expect(response.statusCode).toBe(200);
    const page = response.json<ReadJson>();
    expect(page.events).toEqual([]);
    expect(BigInt(page.next)).toBeGreaterThanOrEqual(BigInt(position));
    expect(elapsed).toBeGreaterThanOrEqual(350);
  });

  it('closing the server ends long polls at once', async () => {
    const other = createServer({ millrace, logger: silent });
    // The long poll's handler has begun (past routing and the key check): close now.
    let handling: () => void = () => undefined;
    const handled = new Promise<void>((resolve) => (handling = resolve));
    other.addHook('preHandler', (_request, _reply, done) => {
      handling();
      done();
    });
    const { position } = (await inject('/v1/end')).json<{ position: string }>();
    const polling = other.inject(`/v1/events?stream=order-404&after=${position}&wait=30000`);
    await handled;
    const started = Date.now();
    await other.close();
    const response = await polling;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(response.json<ReadJson>().events).toEqual([]);
  });

  it('GET /v1/consumers lists consumers with positions and lag', async () => {
    const handled: string[] = [];
    const consumer = millrace.consumer({
      name: 'http-report',
      sequence: { category: 'order' },
      subjects: ['order.>'],
      partitions: 2,
      commitIntervalMs: 0,
      handler: (event) => {
        handled.push(event.stream);
      },
    });
    await consumer.start();
    try {
      await waitFor(() => handled.length >= 4, 'the consumer to handle the orders');
      const list = (await inject('/v1/consumers')).json<{
        consumers: { name: string; lag: number }[];
      }>();
      expect(list.consumers.map((c) => c.name)).toEqual(['http-report']);

      const response = await inject('/v1/consumers/http-report');
      expect(response.statusCode).toBe(200);
      const status = response.json<{
        sequence: string;
        subjects: string[];
        partitions: number;
        positions: { partition: number; position: string; generation: number; lag: number }[];
        lag: number;
      }>();
      expect(status).toMatchObject({
        sequence: 'category:order',
        subjects: ['order.>'],
        partitions: 2,
      });
      expect(status.positions.map((p) => p.partition)).toEqual([0, 1]);
      expect(status.lag).toBe(status.positions.reduce((sum, p) => sum + p.lag, 0));
    } finally {
      await consumer.stop();
    }
  });

  describe('bad input gets a 4xx with a reason and writes nothing', () => {
    const event = { stream: 'order-77', subject: 'order.created', data: { ok: true } };
    const json = { 'content-type': 'application/json' };

    it.each([
      ['a stream with SQL in it', { ...event, stream: INJECTION }, 'invalid_stream'],
      ['an empty stream', { ...event, stream: '' }, 'invalid_stream'],
      ['a subject with SQL in it', { ...event, subject: INJECTION }, 'invalid_subject'],
      ['a wildcard subject', { ...event, subject: 'order.*' }, 'invalid_subject'],
      ['a non-string stream', { ...event, stream: 42 }, 'invalid_body'],
      ['missing data', { stream: 'order-77', subject: 'order.created' }, 'invalid_body'],
      ['an unknown field', { ...event, type: 'order.created' }, 'invalid_body'],
      ['metadata that is not an object', { ...event, metadata: [1] }, 'invalid_body'],
      ['an id that is not a UUID', { ...event, id: INJECTION }, 'invalid_id'],
      ['a fractional expectedVersion', { ...event, expectedVersion: 1.5 }, 'invalid_body'],
      ['an expectedVersion below -1', { ...event, expectedVersion: -2 }, 'invalid_body'],
      ['a JSON array', [event], 'invalid_body'],
      ['an empty batch', { events: [] }, 'invalid_body'],
      ['a batch that is not an array', { events: event }, 'invalid_body'],
      [
        'a batch with one bad event among good ones',
        { events: [event, { ...event, stream: INJECTION }, event] },
        'invalid_stream',
      ],
    ])('POST %s → 400', async (_name, payload, reason) => {
      await expectRejected({ method: 'POST', url: '/v1/events', payload }, 400, reason);
    });

    it('POST missing data names the field', async () => {
      const error = await expectRejected(
        { method: 'POST', url: '/v1/events', payload: { stream: 'order-77', subject: 'a.b' } },
        400,
        'invalid_body',
      );
      expect(error.details).toMatchObject({ field: 'data' });
      expect(error.message).toContain('data');
    });

    it('POST a body that is not JSON → 400 invalid_json', async () => {
      const request = { method: 'POST' as const, url: '/v1/events', headers: json };
      await expectRejected({ ...request, payload: '{"stream": "order-1",' }, 400, 'invalid_json');
      await expectRejected({ ...request, payload: '' }, 400, 'invalid_json');
    });

    it('takes an empty body labelled JSON on a route that takes no body', async () => {
      // Clients that label every call JSON send it on a DELETE too.
      const id = '01a25072-6443-7497-8c03-e0a8b8479d2a';
      const url = `/v1/scheduled/${id}`;
      const answer = await inject({ method: 'DELETE', url, headers: json, payload: '' });
      expect(answer.statusCode, answer.body).toBe(200);
      expect(answer.json()).toEqual({ cancelled: false });
    });

    it('POST text instead of JSON → 415', async () => {
      const request = {
        method: 'POST' as const,
        url: '/v1/events',
        headers: { 'content-type': 'text/plain' },
        payload: JSON.stringify(event),
      };
      await expectRejected(request, 415, 'unsupported_media_type');
    });

    it('POST an event over maxEventBytes → 413 payload_too_large', async () => {
      const big = { ...event, data: 'x'.repeat(MAX_EVENT_BYTES + 1) };
      const error = await expectRejected(
        { method: 'POST', url: '/v1/events', payload: big },
        413,
        'payload_too_large',
      );
      expect(error.details).toMatchObject({ limit: MAX_EVENT_BYTES });
      const batch = { events: [event, big] };
      await expectRejected(
        { method: 'POST', url: '/v1/events', payload: batch },
        413,
        'payload_too_large',
      );
    });

    it('POST a body over the body limit → 413 payload_too_large', async () => {
      const events = Array.from({ length: 100 }, () => ({ ...event, data: 'y'.repeat(1000) }));
      await expectRejected(
        { method: 'POST', url: '/v1/events', payload: { events } },
        413,
        'payload_too_large',
      );
    });

    it('POST with a stale expectedVersion → 409 and nothing written', async () => {
      await expectRejected(
        {
          method: 'POST',
          url: '/v1/events',
          payload: { ...event, stream: 'order-1', expectedVersion: 5 },
        },
        409,
        'version_conflict',
      );
    });

    it.each([
      ['/v1/events?limit=0', 'invalid_query'],
      ['/v1/events?limit=10001', 'invalid_query'],
      ['/v1/events?limit=abc', 'invalid_query'],
      ['/v1/events?limit=1.5', 'invalid_query'],
      ['/v1/events?wait=30001', 'invalid_query'],
      ['/v1/events?wait=-1', 'invalid_query'],
      ['/v1/events?after=-1', 'invalid_position'],
      ['/v1/events?after=abc', 'invalid_position'],
      ['/v1/events?after=99999999999999999999', 'invalid_position'],
      ['/v1/events?sequence=everything', 'invalid_query'],
      [`/v1/events?sequence=${encodeURIComponent(`category:${INJECTION}`)}`, 'invalid_category'],
      [`/v1/events?sequence=${encodeURIComponent(`stream:${INJECTION}`)}`, 'invalid_stream'],
      [`/v1/events?category=${encodeURIComponent(INJECTION)}`, 'invalid_category'],
      [`/v1/events?stream=${encodeURIComponent(INJECTION)}`, 'invalid_stream'],
      ['/v1/events?category=order&stream=order-1', 'invalid_query'],
      [`/v1/events?subjects=${encodeURIComponent(INJECTION)}`, 'invalid_subject_pattern'],
      ['/v1/events?subjects=order.>.paid', 'invalid_subject_pattern'],
      ['/v1/events?subjects=order.created,', 'invalid_subject_pattern'],
      ['/v1/events?limit=1&limit=2', 'invalid_query'],
      ['/v1/events?categroy=order', 'invalid_query'],
    ])('GET %s → 400 %s', async (url, reason) => {
      await expectRejected(url, 400, reason);
    });

    it('GET an unknown consumer → 404; a malformed name → 400', async () => {
      await expectRejected('/v1/consumers/nobody', 404, 'unknown_consumer');
      await expectRejected(
        `/v1/consumers/${encodeURIComponent(INJECTION)}`,
        400,
        'invalid_consumer_name',
      );
    });

    it('an unknown route → 404 JSON; a known path with another method → 405', async () => {
      await expectRejected('/v1/nothing-here', 404, 'unknown_route');
      await expectRejected({ method: 'DELETE', url: '/v1/events' }, 405, 'method_not_allowed');
    });

    it('a closed instance → 503 closed', async () => {
      const closed = await backend.open();
      const closedApp = createServer({ millrace: closed, logger: silent });
      await closed.close();
      const response = await closedApp.inject({
        method: 'POST',
        url: '/v1/events',
        payload: event,
      });
      expect(response.statusCode).toBe(503);
      expect(response.json<ErrorJson>().error.code).toBe('closed');
      await closedApp.close();
    });
  });

  it('the log holds exactly what was published, and its tables survived the SQL', async () => {
    const events = await readAll();
    expect(events.map((e) => e.stream)).toEqual([
      'order-1',
      'order-2',
      'order-2',
      'cart-1',
      'cart-9',
      'order-9',
    ]);
    const tables = await backend.sql<{ count: number }>(
      `SELECT count(*)::int AS count FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'events'`,
      [backend.schema],
    );
    expect(tables[0]?.count).toBe(1);
  });
});
