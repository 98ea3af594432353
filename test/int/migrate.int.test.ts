import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import pg from 'pg';
import { Millrace, ValidationError, pglite, postgres } from '../../src/index.js';
import { migrations } from '../../src/providers/postgres/sql/generated.js';
import { TEST_DATABASE_URL, dropSchema, uniqueSchema } from '../support/database.js';

const schemas: string[] = [];
afterEach(async () => {
  await Promise.all(schemas.splice(0).map(dropSchema));
});

it('migrates once when several processes start on a fresh schema at the same moment', async () => {
  const schema = uniqueSchema('m');
  schemas.push(schema);
  const opened = await Promise.all(
    Array.from({ length: 6 }, () =>
      Millrace.open({
        provider: postgres({ connectionString: TEST_DATABASE_URL, schema, maxConnections: 2 }),
      }),
    ),
  );
  await Promise.all(
    opened.map((m, i) => m.publish({ stream: `order-${i}`, subject: 'order.created', data: i })),
  );
  await Promise.all(opened.map((m) => m.close()));
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  const ledger = await client.query(`SELECT id, name FROM "${schema}".migrations ORDER BY id`);
  const events = await client.query(`SELECT count(*)::int AS n FROM "${schema}".events`);
  await client.end();
  expect(ledger.rows).toEqual(migrations.map((m) => ({ id: m.id, name: m.name })));
  expect(events.rows[0]).toEqual({ n: 6 });
});

it('refuses a schema migrated by a newer millrace', async () => {
  const schema = uniqueSchema('m');
  schemas.push(schema);
  const first = await Millrace.open({
    provider: postgres({ connectionString: TEST_DATABASE_URL, schema }),
  });
  await first.close();
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  await client.query(
    `INSERT INTO "${schema}".migrations (id, name) VALUES (9999, 'from_the_future')`,
  );
  await client.end();
  await expect(
    Millrace.open({ provider: postgres({ connectionString: TEST_DATABASE_URL, schema }) }),
  ).rejects.toMatchObject({ code: 'validation', reason: 'schema_too_new' });
});

it('validates the schema name before it reaches SQL', () => {
  for (const schema of ['Bad', 'has-dash', 'x"; DROP SCHEMA public; --', '1abc', 'a'.repeat(49)]) {
    expect(() => postgres({ connectionString: TEST_DATABASE_URL, schema }), schema).toThrow(
      ValidationError,
    );
    expect(() => pglite({ schema }), schema).toThrow(ValidationError);
  }
});

it('fails with a connection error, not a hang, when PostgreSQL is not there', async () => {
  await expect(
    Millrace.open({
      provider: postgres({ connectionString: 'postgres://postgres@127.0.0.1:1/test' }),
    }),
  ).rejects.toMatchObject({ code: 'connection', retriable: true });
});

it('keeps a PGlite data directory to one process and its data across restarts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-'));
  try {
    const dataDir = join(dir, 'pgdata');
    const first = await Millrace.open({ provider: pglite({ dataDir }) });
    await first.publish({ stream: 'order-1', subject: 'order.created', data: 'kept' });
    await expect(Millrace.open({ provider: pglite({ dataDir }) })).rejects.toMatchObject({
      reason: 'data_dir_locked',
    });
    await first.close();
    const second = await Millrace.open({ provider: pglite({ dataDir }) });
    expect((await second.read()).events.map((e) => e.data)).toEqual(['kept']);
    await second.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('runs on one pg client the caller owns, sharing it between statements, transactions and LISTEN', async () => {
  const schema = uniqueSchema('m');
  schemas.push(schema);
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    const millrace = await Millrace.open({ provider: postgres({ client, schema }) });
    const handled: unknown[] = [];
    const consumer = millrace.consumer({
      name: 'on-one-client',
      sequence: { category: 'order' },
      partitions: 2,
      pollIntervalMs: 60_000,
      handler: (event) => {
        handled.push(event.data);
      },
    });
    await consumer.start();
    await Promise.all([
      millrace.publish({ stream: 'order-1', subject: 'order.created', data: 1 }),
      millrace.publishBatch([
        { stream: 'order-2', subject: 'order.created', data: 2 },
        { stream: 'order-1', subject: 'order.paid', data: 3 },
      ]),
    ]);
    const deadline = Date.now() + 5_000;
    while (handled.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await millrace.close();
    expect([...handled].sort()).toEqual([1, 2, 3]);
    expect((await client.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  } finally {
    await client.end();
  }
});

it('asks for exactly one way to reach PostgreSQL', () => {
  expect(() => postgres({})).toThrow(ValidationError);
  expect(() => postgres({ connectionString: TEST_DATABASE_URL, pool: new pg.Pool() })).toThrow(
    /exactly one/,
  );
});

it('keeps positions growing after a restore into a cluster whose transaction counter is behind', async () => {
  const schema = uniqueSchema('m');
  schemas.push(schema);
  const open = () =>
    Millrace.open({ provider: postgres({ connectionString: TEST_DATABASE_URL, schema }) });
  const before = await open();
  await before.publish({ stream: 'order-1', subject: 'order.created', data: 'before' });
  await before.close();
  // What a restore into a fresh cluster looks like from here: the log holds a
  // position far ahead of the transaction ids the cluster now hands out.
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  const { rows } = await client.query<{ x: string }>('SELECT pg_current_xact_id()::text AS x');
  const ahead = (BigInt(rows[0]?.x ?? '0') + 1_000_000n) << 20n;
  await client.query(
    `INSERT INTO "${schema}".events (position, id, stream, version, subject, data)
     VALUES ($1, gen_random_uuid(), 'order-1', 1, 'order.restored', '"restored"')`,
    [ahead.toString()],
  );
  await client.end();
  const after = await open();
  const published = await after.publish({
    stream: 'order-1',
    subject: 'order.paid',
    data: 'after',
  });
  expect(published.version).toBe(2);
  expect(BigInt(published.position) > ahead).toBe(true);
  const read = (await after.read()).events.map((e) => e.data);
  expect(read).toEqual(['before', 'restored', 'after']);
  await after.close();
});
