/**
 * Every route of the HTTP API, as the OpenAPI document lists them, fuzzed
 * over real HTTP with fast-check (bounded runs): arbitrary JSON bodies and
 * raw text, arbitrary query parameters and path names. No answer may be a
 * 5xx, the server must answer /v1/health after each, and nothing may be
 * written: the events, consumers, keys, dead letters and hosted members
 * are counted before and after.
 */
import type { FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Millrace } from '../../src/index.js';
import { createServer } from '../../src/server/server.js';
import { PROVIDERS, openBackend, type TestBackend } from '../support/providers.js';

const RUNS_PER_ROUTE = 25;
const silent = pino({ level: 'silent' });

interface Operation {
  readonly method: string;
  readonly path: string;
  readonly query: readonly string[];
  readonly body: boolean;
}

type Json = Record<string, unknown>;

function operationsOf(doc: Json): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
    for (const [method, operation] of Object.entries(item)) {
      const parameters = ((operation as Json).parameters ?? []) as Json[];
      operations.push({
        method: method.toUpperCase(),
        path,
        query: parameters.filter((p) => p.in === 'query').map((p) => p.name as string),
        body: (operation as Json).requestBody !== undefined,
      });
    }
  }
  return operations;
}

/** A request's parts: path names, query and body, any of them nonsense. */
const requestParts = (operation: Operation) =>
  fc.record({
    names: fc.array(fc.string({ minLength: 1, maxLength: 40 }), { minLength: 4, maxLength: 4 }),
    query: fc.dictionary(
      fc.oneof(fc.constantFrom(...operation.query, 'x'), fc.string({ maxLength: 10 })),
      fc.string({ maxLength: 30 }),
      { maxKeys: 4 },
    ),
    body: fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value) ?? 'null'),
      fc.string({ maxLength: 60 }),
      fc.constant(undefined),
    ),
  });

describe.each(PROVIDERS)('fuzzing every route on %s', (provider) => {
  let backend: TestBackend;
  let millrace: Millrace;
  let app: FastifyInstance;
  let base: string;

  beforeAll(async () => {
    backend = await openBackend(provider);
    millrace = await backend.open({ logger: silent });
    app = createServer({ millrace, logger: silent, rateLimit: false });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    await millrace.publish({ stream: 'order-1', subject: 'order.created', data: 1 });
  });

  afterAll(async () => {
    await app?.close();
    await backend?.close();
  });

  /** What a refused request must leave as it was. */
  async function written(): Promise<string> {
    const [events, consumers, keys, deadLetters, scheduled] = await Promise.all([
      millrace.read({ limit: 10_000 }),
      millrace.consumerStatuses(),
      millrace.keys.list(),
      millrace.deadLetters.list({ limit: 1000 }),
      millrace.scheduledCount(),
    ]);
    return JSON.stringify({
      events: events.events.length,
      consumers: consumers.map((c) => c.name),
      keys: keys.length,
      deadLetters: deadLetters.records.length,
      scheduled,
    });
  }

  it('answers arbitrary input with a 4xx or a read, stays up, and writes nothing', async () => {
    const doc = (await (await fetch(`${base}/v1/openapi.json`)).json()) as Json;
    const operations = operationsOf(doc);
    expect(operations.length).toBeGreaterThanOrEqual(30);
    const before = await written();
    for (const operation of operations) {
      await fc.assert(
        fc.asyncProperty(requestParts(operation), async ({ names, query, body }) => {
          let n = 0;
          const path = operation.path.replace(/\{[^}]+\}/g, () =>
            encodeURIComponent(names[n++] ?? 'x'),
          );
          const search = new URLSearchParams(query).toString();
          const response = await fetch(`${base}${path}${search === '' ? '' : `?${search}`}`, {
            method: operation.method,
            headers: body === undefined ? {} : { 'content-type': 'application/json' },
            body: operation.method === 'GET' || body === undefined ? undefined : body,
          });
          const text = await response.text();
          const where = `${operation.method} ${path}?${search} ${String(body)}`;
          expect(response.status, `${where} -> ${text}`).toBeLessThan(500);
          // Nothing made: a refusal, a read, or a change that found nothing to change.
          expect(response.status, `${where} -> ${text}`).not.toBe(201);
        }),
        { numRuns: RUNS_PER_ROUTE },
      );
      expect((await fetch(`${base}/v1/health`)).status).toBe(200);
    }
    expect(await written()).toBe(before);
  });
});
