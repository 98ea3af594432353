/**
 * The machine's raw PostgreSQL ceilings in the same run, so millrace's
 * figures read as a share of what the server can do at all: a multi-row
 * INSERT of ~100-byte JSON rows in batches of 1,000 into a table with only a
 * primary key, the same into a table shaped like millrace's log (same
 * columns, same four indexes, no version lookups, no locks), and an indexed
 * range SELECT reading rows back.
 */
import pg from 'pg';
import { perSecond, progress } from './stats.js';

export interface Ceilings {
  readonly insertRowsPerSecond: number;
  readonly logShapedInsertRowsPerSecond: number;
  readonly selectRowsPerSecond: number;
}

const LOG_SHAPED = (table: string) => `
  CREATE TABLE ${table} (
    position bigint PRIMARY KEY, id uuid NOT NULL, stream text COLLATE "C" NOT NULL,
    category text COLLATE "C" GENERATED ALWAYS AS (split_part(stream, '-', 1)) STORED,
    stream_hash integer GENERATED ALWAYS AS (hashtext(stream) & 2147483647) STORED,
    version integer NOT NULL, subject text COLLATE "C" NOT NULL, data json NOT NULL,
    metadata json, time timestamptz NOT NULL DEFAULT statement_timestamp());
  CREATE UNIQUE INDEX ON ${table} (id);
  CREATE UNIQUE INDEX ON ${table} (stream, version);
  CREATE INDEX ON ${table} (category, position);`;

export async function measureCeilings(databaseUrl: string, rows: number): Promise<Ceilings> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const table = `bench_raw_${process.pid}`;
  try {
    await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, data jsonb NOT NULL)`);
    const json = JSON.stringify({
      orderId: 'ord-7f3a9c',
      customer: 'cus-1842',
      total: 129.95,
      currency: 'EUR',
      items: 3,
    });
    const payload = Array.from({ length: 1000 }, () => json);
    let started = performance.now();
    for (let done = 0; done < rows; done += 1000) {
      await client.query(
        `INSERT INTO ${table} (id, data) SELECT $1::bigint + n, d::jsonb FROM unnest($2::text[]) WITH ORDINALITY AS t(d, n)`,
        [done, payload],
      );
      if (done % 50_000 === 0) progress(`  raw insert: ${done}/${rows}`);
    }
    const insertRowsPerSecond = perSecond(rows, performance.now() - started);
    const logShapedInsertRowsPerSecond = await logShapedInserts(client, `${table}_log`, rows, json);
    await client.query(`ANALYZE ${table}`);
    started = performance.now();
    let after = -1;
    let read = 0;
    for (;;) {
      const { rows: page } = await client.query<{ id: string; data: unknown }>(
        `SELECT id, data FROM ${table} WHERE id > $1 ORDER BY id LIMIT 1000`,
        [after],
      );
      if (page.length === 0) break;
      read += page.length;
      after = Number(page.at(-1)?.id);
    }
    const selectRowsPerSecond = perSecond(read, performance.now() - started);
    return { insertRowsPerSecond, logShapedInsertRowsPerSecond, selectRowsPerSecond };
  } finally {
    await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.end();
  }
}

async function logShapedInserts(
  client: pg.Client,
  table: string,
  rows: number,
  json: string,
): Promise<number> {
  await client.query(`DROP TABLE IF EXISTS ${table}`);
  await client.query(LOG_SHAPED(table));
  try {
    const payload = Array.from({ length: 1000 }, () => json);
    const started = performance.now();
    for (let done = 0; done < rows; done += 1000) {
      const streams = Array.from({ length: 1000 }, (_, j) => `order-${(done + j) % 10_000}`);
      const ids = Array.from({ length: 1000 }, () => crypto.randomUUID());
      await client.query(
        `INSERT INTO ${table} (position, id, stream, version, subject, data)
         SELECT $1::bigint + n, i, s, ($1::bigint + n)::integer, 'order.placed', d::json
         FROM unnest($2::uuid[], $3::text[], $4::text[]) WITH ORDINALITY AS t(i, s, d, n)`,
        [done, ids, streams, payload],
      );
      if (done % 50_000 === 0) progress(`  raw log-shaped insert: ${done}/${rows}`);
    }
    return perSecond(rows, performance.now() - started);
  } finally {
    await client.query(`DROP TABLE IF EXISTS ${table}`);
  }
}
