/**
 * The partition index a consumer with P > 1 reads through: built on first
 * registration, once however many processes register at once, and rebuilt
 * when a crashed build left it invalid.
 */
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Millrace, pglite, postgres } from '../../src/index.js';
import { TEST_DATABASE_URL, dropSchema, uniqueSchema } from '../support/database.js';

let schema: string;
let admin: pg.Client;
const opened: Millrace[] = [];

beforeEach(async () => {
  schema = uniqueSchema('pidx');
  admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((m) => m.close()));
  await admin.end();
  await dropSchema(schema);
});

async function open(): Promise<Millrace> {
  const millrace = await Millrace.open({
    provider: postgres({ connectionString: TEST_DATABASE_URL, schema, maxConnections: 4 }),
  });
  opened.push(millrace);
  return millrace;
}

async function indexState(name: string): Promise<boolean | undefined> {
  const { rows } = await admin.query<{ valid: boolean }>(
    `SELECT i.indisvalid AS valid FROM pg_index i
     JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = $2`,
    [schema, name],
  );
  return rows[0]?.valid;
}

/** Starting a consumer registers it (building its index), then it stops. */
async function register(millrace: Millrace, partitions: number): Promise<void> {
  const consumer = millrace.consumer({
    name: 'indexed',
    sequence: { category: 'order' },
    partitions,
    handler: () => undefined,
  });
  await consumer.start();
  await consumer.stop();
}

describe('partition indexes', () => {
  it('is built once when several processes register the consumer at the same moment', async () => {
    const instances = await Promise.all([open(), open(), open(), open()]);
    // A long transaction elsewhere: the build waits for it, and must not deadlock with the others' waits.
    const holder = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('SELECT pg_current_xact_id()');
    const registering = Promise.all(instances.map((m) => register(m, 8)));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await holder.query('COMMIT');
    await holder.end();
    await registering;
    expect(await indexState('events_category_p8')).toBe(true);
  });

  it('drops and rebuilds an index a crashed build left invalid', async () => {
    await register(await open(), 4);
    expect(await indexState('events_category_p4')).toBe(true);
    await admin.query(`UPDATE pg_index SET indisvalid = false WHERE indexrelid = $1::regclass`, [
      `"${schema}".events_category_p4`,
    ]);
    expect(await indexState('events_category_p4')).toBe(false);
    await register(await open(), 4);
    expect(await indexState('events_category_p4')).toBe(true);
  });

  it('is built once when several instances on one PGlite register at the same moment', async () => {
    // PGlite has one session: the build lock cannot keep two instances apart there.
    const { PGlite } = await import('@electric-sql/pglite');
    const db = await PGlite.create();
    try {
      const instances = await Promise.all(
        [1, 2, 3].map(() => Millrace.open({ provider: pglite({ db, schema: 'shared' }) })),
      );
      await Promise.all(instances.map((m) => register(m, 8)));
      await Promise.all(instances.map((m) => m.close()));
      const { rows } = await db.query<{ valid: boolean }>(
        `SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
         WHERE c.relname = 'events_category_p8'`,
      );
      expect(rows).toEqual([{ valid: true }]);
    } finally {
      await db.close();
    }
  });
});
