/**
 * `millrace dead-letters` against a real PostgreSQL schema, straight to the
 * database and through a running server: listing with filters, showing one,
 * retrying back to a running consumer, discarding, and refusing to act on
 * everything without --all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Millrace, deadLetter, postgres, type Consumer } from '../../src/index.js';
import { assertBuilt, removeTempDirs, runCli, startServer, tempDir } from '../support/cli.js';
import { TEST_DATABASE_URL, dropSchema, uniqueSchema } from '../support/database.js';
import { waitFor } from '../support/wait.js';

const schema = uniqueSchema('dlq');
const cwd = tempDir();
/** The schema's database, for commands run directly and for a server (found through server.json). */
const direct = ['--database-url', TEST_DATABASE_URL, '--schema', schema];
let millrace: Millrace;
let consumer: Consumer;
let healthy = false;
const handled: string[] = [];

interface ListJson {
  deadLetters: { consumer: string; state: string; attempts: number; event: { id: string } }[];
  next: string | null;
}

beforeAll(async () => {
  assertBuilt();
  millrace = await Millrace.open({
    provider: postgres({ connectionString: TEST_DATABASE_URL, schema }),
  });
  await millrace.publishBatch([
    { stream: 'order-1', subject: 'order.placed', data: { n: 1 } },
    { stream: 'order-2', subject: 'order.paid', data: { n: 2 } },
    { stream: 'order-3', subject: 'order.placed', data: { n: 3 } },
  ]);
  consumer = millrace.consumer({
    name: 'billing',
    sequence: { category: 'order' },
    partitions: 1,
    pollIntervalMs: 100,
    handler: (event) => {
      if (!healthy) return deadLetter(`no stock for ${event.stream}`);
      handled.push(event.stream);
      return undefined;
    },
  });
  await consumer.start();
  await waitFor(
    async () => (await millrace.deadLetters.list()).records.length === 3,
    'three dead letters',
  );
});

afterAll(async () => {
  await consumer?.stop();
  await millrace?.close();
  await dropSchema(schema);
  removeTempDirs();
});

describe('millrace dead-letters', () => {
  it('lists them, filtered, as text and JSON', async () => {
    const text = await runCli(['dead-letters', ...direct], { cwd });
    expect(text.code).toBe(0);
    expect(text.stdout.trim().split('\n')).toHaveLength(3);
    expect(text.stdout).toMatch(/billing {2}discarded {2}order-\d@0 {2}order\.\w+ {2}attempts 1/);
    expect(text.stdout).toContain('[dead_letter] no stock for order-1');
    const paid = await runCli(
      ['dead-letters', 'list', '--subject', 'order.paid', '--json', ...direct],
      { cwd },
    );
    const page = JSON.parse(paid.stdout) as ListJson;
    expect(page.deadLetters.map((d) => d.consumer)).toEqual(['billing']);
    expect(page.next).toBeNull();
    const paged = JSON.parse(
      (await runCli(['dead-letters', '--limit', '2', '--json', ...direct], { cwd })).stdout,
    ) as ListJson;
    expect(paged.deadLetters).toHaveLength(2);
    const rest = JSON.parse(
      (
        await runCli(
          ['dead-letters', '--limit', '2', '--after', paged.next ?? '', '--json', ...direct],
          {
            cwd,
          },
        )
      ).stdout,
    ) as ListJson;
    expect(rest.deadLetters).toHaveLength(1);
  });

  it('shows one in full', async () => {
    const [letter] = (await millrace.deadLetters.list({ subject: 'order.paid' })).records;
    const result = await runCli(
      ['dead-letters', 'show', 'billing', letter?.event.id ?? '', ...direct],
      { cwd },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('data {"n":2}');
  });

  it('refuses retry and discard without a filter or --all, and bad filters, with exit 2', async () => {
    for (const args of [
      ['dead-letters', 'retry'],
      ['dead-letters', 'discard'],
      ['dead-letters', '--state', 'lost'],
      ['dead-letters', '--since', 'yesterday'],
      ['dead-letters', '--consumer', 'Bad Name'],
    ]) {
      const result = await runCli([...args, ...direct], { cwd });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    expect((await millrace.deadLetters.list()).records).toHaveLength(3);
  });

  it('retries through a running server: the consumer handles them again', async () => {
    const { server } = await startServer(cwd, direct);
    try {
      healthy = true;
      const result = await runCli(['dead-letters', 'retry', '--subject', 'order.placed'], { cwd });
      expect(result.stdout.trim()).toBe('retried 2 dead letters');
      await waitFor(() => handled.length === 2, 'both handled again', 10_000);
      expect(handled.sort()).toEqual(['order-1', 'order-3']);
      const discarded = await runCli(['dead-letters', 'discard', '--all', '--json'], { cwd });
      expect(JSON.parse(discarded.stdout)).toEqual({ discarded: 1 });
      expect((await millrace.deadLetters.list()).records).toEqual([]);
    } finally {
      await server.stop();
    }
  });
});

describe('millrace reset', () => {
  it('replays a running consumer from the beginning, and refuses a bad target with exit 2', async () => {
    healthy = true;
    handled.length = 0;
    const bad = await runCli(['reset', 'billing', '--to', 'yesterday', ...direct], { cwd });
    expect(bad.code).toBe(2);
    const result = await runCli(['reset', 'billing', '--to', 'beginning', ...direct], { cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('reset billing');
    await waitFor(() => handled.length >= 3, 'all three handled again', 10_000);
    expect([...new Set(handled)].sort()).toEqual(['order-1', 'order-2', 'order-3']);
    const unknown = await runCli(['reset', 'nobody', '--to', 'end', ...direct], { cwd });
    expect(unknown.code).toBe(1);
  });

  it('resets through a running server', async () => {
    const { server } = await startServer(cwd, direct);
    try {
      const result = await runCli(
        ['reset', 'billing', '--to', new Date().toISOString(), '--json'],
        {
          cwd,
        },
      );
      expect(JSON.parse(result.stdout)).toEqual({ consumer: 'billing', reset: true });
    } finally {
      await server.stop();
    }
  });
});
