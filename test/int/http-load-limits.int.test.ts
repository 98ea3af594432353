/**
 * How a server holds up against too much at once, over real HTTP: a cap on
 * waiting long polls (503 + Retry-After past it), a rate limit per API key
 * and per client address (429 + Retry-After), and HTTPS with a certificate.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Millrace } from '../../src/index.js';
import { createServer, type ServerOptions } from '../../src/server/server.js';
import { openBackend, type TestBackend } from '../support/providers.js';
import { waitFor } from '../support/wait.js';

const silent = pino({ level: 'silent' });

let backend: TestBackend;
let millrace: Millrace;
const servers: FastifyInstance[] = [];
const dir = mkdtempSync(join(tmpdir(), 'millrace-tls-'));

async function serve(options: Omit<ServerOptions, 'millrace'> = {}): Promise<string> {
  const app = createServer({ millrace, logger: silent, ...options });
  servers.push(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const scheme = options.tls === undefined ? 'http' : 'https';
  return `${scheme}://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

async function get(url: string, key?: string) {
  const response = await fetch(url, {
    headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
  });
  const body = (await response.json()) as { error?: { code: string; reason: string } };
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body };
}

beforeAll(async () => {
  backend = await openBackend('postgres');
  millrace = await backend.open();
});

afterAll(async () => {
  await Promise.all(servers.map((app) => app.close()));
  await backend?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('load limits over HTTP', () => {
  it('answers 503 with Retry-After to a long poll past the cap, and serves reads without wait', async () => {
    const base = await serve({ maxLongPolls: 1 });
    const { position } = (await (await fetch(`${base}/v1/end`)).json()) as { position: string };
    const waiting = fetch(`${base}/v1/events?stream=order-404&after=${position}&wait=30000`);
    // The first poll is waiting once a short second one is refused.
    let refused: Awaited<ReturnType<typeof get>> | undefined;
    await waitFor(async () => {
      const probe = await get(`${base}/v1/events?stream=order-404&after=${position}&wait=1`);
      if (probe.status === 503) refused = probe;
      return refused !== undefined;
    }, 'a long poll refused past the cap');
    expect(refused?.retryAfter).toBe('1');
    expect(refused?.body.error).toMatchObject({
      code: 'overloaded',
      reason: 'too_many_long_polls',
    });
    expect((await get(`${base}/v1/events?after=${position}`)).status).toBe(200);
    await millrace.publish({ stream: 'order-404', subject: 'order.created', data: 1 });
    expect((await waiting).status).toBe(200);
    // Its place is free again.
    expect((await get(`${base}/v1/events?stream=order-404&after=${position}&wait=1`)).status).toBe(
      200,
    );
  });

  it('answers 429 with Retry-After past the rate limit, counting each key on its own', async () => {
    const base = await serve({ rateLimit: { max: 3, windowMs: 60_000 } });
    for (let i = 0; i < 3; i++) expect((await get(`${base}/v1/end`)).status).toBe(200);
    const limited = await get(`${base}/v1/end`);
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({ code: 'overloaded', reason: 'rate_limited' });
    expect(Number(limited.retryAfter)).toBeGreaterThan(0);
    // With keys in force each key has its own budget, whatever the address.
    const [one, two] = await Promise.all([
      millrace.keys.create({ name: 'one', scopes: ['read'] }),
      millrace.keys.create({ name: 'two', scopes: ['read'] }),
    ]);
    const keyed = await serve({ rateLimit: { max: 2, windowMs: 60_000 } });
    const statuses = [];
    for (const key of [one, one, one, two, two, two]) {
      statuses.push((await get(`${keyed}/v1/end`, key?.key)).status);
    }
    expect(statuses).toEqual([200, 200, 429, 200, 200, 429]);
    for (const key of [one, two]) if (key) await millrace.keys.revoke(key.id);
  });

  it('serves HTTPS with the certificate it is given', async () => {
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'ignore' },
    );
    const base = await serve({ tls: { cert: readFileSync(cert), key: readFileSync(key) } });
    expect(base).toMatch(/^https:/);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpsRequest(`${base}/v1/health`, { ca: readFileSync(cert) }, (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      request.on('error', reject).end();
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ status: 'ok' });
    // Plain HTTP to it fails: nothing is served unencrypted.
    await expect(fetch(base.replace('https:', 'http:') + '/v1/health')).rejects.toThrow();
  });
});
