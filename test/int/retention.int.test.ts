/**
 * Retention on real PostgreSQL and PGlite beyond the shared rules (those run
 * in the conformance suite): what only the SQL provider has (deleting in
 * batches), and pruning over HTTP.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Millrace } from '../../src/index.js';
import { LogPruner } from '../../src/core/kit/retention/log-pruner.js';
import { PgPrunableLog } from '../../src/providers/postgres/pg-retention.js';
import { createServer } from '../../src/server/server.js';
import type { PostgresProvider } from '../../src/providers/postgres/postgres-provider.js';
import { PROVIDERS, openBackend, type TestBackend } from '../support/providers.js';
import { readAll } from '../support/read-log.js';

const backends: TestBackend[] = [];
afterEach(async () => {
  await Promise.all(backends.splice(0).map((b) => b.close()));
});

async function backendOn(name: (typeof PROVIDERS)[number]): Promise<TestBackend> {
  const backend = await openBackend(name);
  backends.push(backend);
  return backend;
}

for (const name of PROVIDERS) {
  describe(`retention batches on ${name}`, () => {
    it('deletes in many short batches and stops where it should', async () => {
      const backend = await backendOn(name);
      const millrace: Millrace = await backend.open();
      const streams = Array.from({ length: 5 }, (_, i) => `order-${i}`);
      await millrace.publishBatch(
        Array.from({ length: 50 }, (_, n) => ({
          stream: streams[n % 5] as string,
          subject: 'order.placed',
          data: { n },
        })),
      );
      await millrace.publishBatch([{ stream: 'user-1', subject: 'user.joined', data: {} }]);
      const provider = millrace.provider as PostgresProvider;
      const pruner = new LogPruner({
        log: provider.log,
        registry: provider.registry,
        positions: provider.positions,
        prunable: new PgPrunableLog(provider.db, provider.book, 3),
      });
      const result = await pruner.prune({ category: 'order', keepLast: 10 });
      expect(result.deleted).toBe(40);
      const left = await readAll(millrace);
      expect(left.map((e) => e.stream)).toEqual([...streams, ...streams, 'user-1']);
      expect(left.slice(0, 10).map((e) => e.version)).toEqual([8, 8, 8, 8, 8, 9, 9, 9, 9, 9]);
    });
  });

  describe(`POST /v1/prune on ${name}`, () => {
    it('prunes, and answers bad input with a 400 and its reason, deleting nothing', async () => {
      const backend = await backendOn(name);
      const millrace = await backend.open();
      await millrace.publishBatch(
        Array.from({ length: 4 }, (_, n) => ({
          stream: 'order-1',
          subject: 'order.placed',
          data: { n },
        })),
      );
      const app = createServer({ millrace, logger: pino({ level: 'silent' }) });
      try {
        for (const [payload, reason] of [
          [{ keepLast: 1, sideways: true }, 'invalid_body'],
          [{ keepLast: 'one' }, 'invalid_body'],
          [{ olderThan: 'a while' }, 'invalid_duration'],
          [{ keepLast: 1, category: 'no such' }, 'invalid_category'],
          [{}, 'invalid_option'],
        ] as const) {
          const response = await app.inject({ method: 'POST', url: '/v1/prune', payload });
          expect(response.statusCode, JSON.stringify(payload)).toBe(400);
          expect(response.json<{ error: { reason: string } }>().error.reason).toBe(reason);
        }
        expect(await readAll(millrace)).toHaveLength(4);
        const response = await app.inject({
          method: 'POST',
          url: '/v1/prune',
          payload: { keepLast: 1 },
        });
        expect(response.statusCode).toBe(200);
        expect(response.json()).toEqual({
          deleted: 3,
          prunedBefore: expect.any(String) as string,
          categories: [expect.objectContaining({ category: 'order', deleted: 3, heldBy: [] })],
          heldBy: [],
        });
      } finally {
        await app.close();
      }
    });
  });
}
