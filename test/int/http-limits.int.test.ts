/**
 * What one request may take from the server, over real HTTP: read answers
 * stop at the byte budget and say where to go on; bodies that stop half way
 * and idle connections time out while long polls live out their wait; Host
 * names are checked against the server's address and `allowedHosts`.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError, type Millrace } from '../../src/index.js';
import { createServer, type ServerOptions } from '../../src/server/server.js';
import { PROVIDERS, openBackend, type TestBackend } from '../support/providers.js';
import { exchange, parseResponse, rawRequest, requestText } from '../support/raw-http.js';
import { waitFor } from '../support/wait.js';

const silent = pino({ level: 'silent' });
const BUDGET = 10_000;

interface EventJson {
  position: string;
  data: { n: number };
}
interface ReadJson {
  events: EventJson[];
  next: string;
  hasMore: boolean;
}

describe.each(PROVIDERS)('HTTP limits on %s', (provider) => {
  let backend: TestBackend;
  let millrace: Millrace;
  const servers: FastifyInstance[] = [];

  async function serve(options: Omit<ServerOptions, 'millrace'> = {}): Promise<number> {
    const app = createServer({ millrace, logger: silent, maxReadBytes: BUDGET, ...options });
    servers.push(app);
    await app.listen({ port: 0, host: '127.0.0.1' });
    return (app.server.address() as AddressInfo).port;
  }

  async function getJson<T>(port: number, path: string): Promise<T> {
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    expect(response.status).toBe(200);
    return (await response.json()) as T;
  }

  const padded = (n: number, bytes: number) => ({ n, pad: 'p'.repeat(bytes) });

  beforeAll(async () => {
    backend = await openBackend(provider);
    millrace = await backend.open();
  });

  afterAll(async () => {
    await Promise.all(servers.map((app) => app.close()));
    await backend.close();
  });

  it('a read stops at the byte budget, always with one event, and next goes on from there', async () => {
    const port = await serve();
    await millrace.publishBatch(
      [4000, 4000, 4000, 12_000, 100, 100].map((bytes, n) => ({
        stream: 'big-1',
        subject: 'big.made',
        data: padded(n, bytes),
      })),
    );
    const pages: number[][] = [];
    for (let after = '0'; ;) {
      const page = await getJson<ReadJson>(
        port,
        `/v1/events?stream=big-1&after=${after}&limit=100`,
      );
      pages.push(page.events.map((e) => e.data.n));
      if (page.events.length > 1) {
        expect(JSON.stringify(page.events).length).toBeLessThanOrEqual(BUDGET);
      }
      if (page.hasMore) expect(page.next).toBe(page.events.at(-1)?.position);
      if (!page.hasMore) break;
      after = page.next;
    }
    expect(pages).toEqual([[0, 1], [2], [3], [4, 5]]);
  });

  it('a dead-letter list stops at the budget; next lists the rest', async () => {
    const port = await serve();
    await millrace.publishBatch(
      [0, 1, 2, 3, 4].map((n) => ({
        stream: `letter-${n}`,
        subject: 'letter.sent',
        data: padded(n, 3000),
      })),
    );
    const consumer = millrace.consumer({
      name: 'refuser',
      sequence: { category: 'letter' },
      maxAttempts: 1,
      handler: () => {
        throw new Error('refused');
      },
    });
    await consumer.start();
    try {
      await waitFor(
        async () => (await millrace.deadLetters.list({ consumer: 'refuser' })).records.length === 5,
        'five dead letters',
      );
    } finally {
      await consumer.stop();
    }
    interface Letters {
      deadLetters: { event: EventJson }[];
      next: string | null;
    }
    const seen: number[] = [];
    let pages = 0;
    for (let after: string | null = null; ; pages++) {
      const query: string = after === null ? '' : `&after=${encodeURIComponent(after)}`;
      const page: Letters = await getJson<Letters>(
        port,
        `/v1/dead-letters?consumer=refuser${query}`,
      );
      expect(JSON.stringify(page.deadLetters).length).toBeLessThanOrEqual(BUDGET);
      seen.push(...page.deadLetters.map((letter) => letter.event.data.n));
      if (page.next === null) break;
      after = page.next;
    }
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(seen.sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('the scheduled list stops at the budget; next lists the rest, ties included', async () => {
    const port = await serve();
    const deliverAt = new Date(Date.now() + 3_600_000);
    const sizes = [4000, 4000, 4000, 12_000, 100, 100, 4000];
    await millrace.publishBatch(
      sizes.map((bytes, n) => ({
        stream: 'later-1',
        subject: 'later.due',
        data: padded(n, bytes),
        deliverAt,
      })),
    );
    interface Scheduled {
      count: number;
      events: { data: { n: number } }[];
      next: string | null;
    }
    const list = (limit: number, after: string | null) =>
      getJson<Scheduled>(
        port,
        `/v1/scheduled?stream=later-1&limit=${limit}${after === null ? '' : `&after=${encodeURIComponent(after)}`}`,
      );
    const pages: number[][] = [];
    const afters: (string | null)[] = [];
    for (let after: string | null = null; pages.length < 20;) {
      afters.push(after);
      const page = await list(100, after);
      expect(page.count).toBeGreaterThanOrEqual(sizes.length);
      if (page.events.length > 1) {
        expect(JSON.stringify(page.events).length).toBeLessThanOrEqual(BUDGET);
      }
      pages.push(page.events.map((e) => e.data.n));
      if (page.next === null) break;
      after = page.next;
    }
    expect(pages).toEqual([[0, 1], [2], [3], [4, 5, 6]]);
    // A limit that ends on the last event waiting: nothing follows it.
    const tail = afters[3] ?? null;
    const whole = await list(3, tail);
    expect(whole.events.map((e) => e.data.n)).toEqual([4, 5, 6]);
    expect(whole.next).toBeNull();
    const cut = await list(2, tail);
    expect(cut.events.map((e) => e.data.n)).toEqual([4, 5]);
    expect((await list(100, cut.next)).events.map((e) => e.data.n)).toEqual([6]);
  });

  it('a body that stops half way gets 408 and writes nothing, while a long poll waits on', async () => {
    const port = await serve({ requestTimeoutMs: 300 });
    const end = await millrace.end();
    const polling = rawRequest(port, { path: `/v1/events?stream=wake-1&after=${end}&wait=20000` });
    const slow = `${requestText(port, { method: 'POST', path: '/v1/events' }).slice(0, -2)}Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{"stream":"wake-1",`;
    const timedOut = parseResponse(await exchange(port, slow));
    expect(timedOut.status).toBe(408);
    expect(JSON.parse(timedOut.body)).toEqual({
      error: {
        code: 'timeout',
        reason: 'request_timeout',
        message: expect.any(String) as string,
        retriable: true,
      },
    });
    // Nothing was written: the stream the cut-off body named is still empty.
    expect((await millrace.read({ sequence: { stream: 'wake-1' } })).events).toEqual([]);
    // The request timeout has fired: the long poll, whose request came in whole, still waits.
    await millrace.publish({ stream: 'wake-1', subject: 'wake.up', data: { n: 1 } });
    const polled = await polling;
    expect(polled.status).toBe(200);
    expect((JSON.parse(polled.body) as ReadJson).events.map((e) => e.data.n)).toEqual([1]);
  });

  it('a connection that sends nothing, and an idle kept-alive one, are closed', async () => {
    const port = await serve({ requestTimeoutMs: 300, keepAliveTimeoutMs: 100 });
    const silentConnection = parseResponse(await exchange(port, ''));
    expect(silentConnection.status).toBe(408);
    const keptAlive = await exchange(port, requestText(port, { path: '/v1/health' }, false));
    expect(parseResponse(keptAlive).status).toBe(200);
  });

  it('allowedHosts adds names to a loopback server; other Hosts get 421', async () => {
    const port = await serve({ allowedHosts: ['Millrace.Example'] });
    const status = async (host: string) =>
      (await rawRequest(port, { path: '/v1/health', host })).status;
    expect(await status('millrace.example:7700')).toBe(200);
    expect(await status('millrace.example.')).toBe(200);
    expect(await status('localhost')).toBe(200);
    expect(await status('other.example')).toBe(421);
    expect(await status('millrace.example.evil.test')).toBe(421);
  });

  it('options are checked when the server is made', () => {
    expect(() => createServer({ millrace, idleTimeoutMs: 10_000 })).toThrow(ValidationError);
    expect(() => createServer({ millrace, maxReadBytes: 0 })).toThrow(/maxReadBytes/);
    expect(() => createServer({ millrace, allowedHosts: ['http://x.example/'] })).toThrow(
      /allowedHosts/,
    );
  });
});
