/**
 * Two more raw ceilings for the peer benchmark, beside ../ceilings.ts: how
 * many single-row commits PostgreSQL takes per second from a number of
 * concurrent connections (the bound of any queue that commits per job), and
 * what Redis Streams do raw through ioredis (the bound of a Redis-based
 * queue), with the Redis persistence that makes those figures durable or not.
 */
import pg from 'pg';
import { Redis } from 'ioredis';
import { orderEvent } from '../scenarios.js';
import { perSecond, progress } from '../stats.js';

/** A ~100-byte JSON document: the data of the benchmarks' order events. */
const payload = (n: number) => JSON.stringify(orderEvent(n, 1).data);

/**
 * Single-row INSERT commits per second: `connections` clients, each in
 * autocommit (one INSERT of one ~100-byte JSON row per statement, so one
 * transaction and one commit per row), back to back for `seconds`, into a
 * plain logged table with a bigint identity primary key.
 */
export async function measureCommits(
  databaseUrl: string,
  connections: number,
  seconds: number,
): Promise<number> {
  const table = `bench_commits_${process.pid}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  const clients: pg.Client[] = [];
  try {
    await admin.query(`DROP TABLE IF EXISTS ${table}`);
    await admin.query(
      `CREATE TABLE ${table} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, data jsonb NOT NULL)`,
    );
    const { rows } = await admin.query<{ sync: string; fsync: string }>(
      `SELECT current_setting('synchronous_commit') AS sync, current_setting('fsync') AS fsync`,
    );
    progress(`  raw commits: synchronous_commit=${rows[0]?.sync}, fsync=${rows[0]?.fsync}`);
    for (let i = 0; i < connections; i++) {
      const client = new pg.Client({ connectionString: databaseUrl });
      clients.push(client);
      await client.connect();
    }
    const insert = `INSERT INTO ${table} (data) VALUES ($1::jsonb)`;
    let commits = 0;
    const started = performance.now();
    const deadline = started + seconds * 1000;
    const ticker = setInterval(() => {
      const elapsed = performance.now() - started;
      progress(`  raw commits: ${commits} in ${(elapsed / 1000).toFixed(0)} s`);
    }, 1000);
    try {
      await Promise.all(
        clients.map(async (client) => {
          // A named (prepared) statement: parsed once per connection.
          while (performance.now() < deadline) {
            await client.query({ name: 'bench-commit', text: insert, values: [payload(commits)] });
            commits++;
          }
        }),
      );
    } finally {
      clearInterval(ticker);
    }
    return perSecond(commits, performance.now() - started);
  } finally {
    await Promise.all(clients.map((client) => client.end()));
    await admin.query(`DROP TABLE IF EXISTS ${table}`);
    await admin.end();
  }
}

export interface RedisCeilings {
  /** Stream entries appended per second with XADD, pipelined 1,000 at a time. */
  readonly xaddPerSecond: number;
  /** Entries read and acknowledged per second with XREADGROUP COUNT 1000 + XACK. */
  readonly readAckPerSecond: number;
  /** Redis' durability settings, e.g. `appendonly yes, appendfsync everysec`. */
  readonly persistence: string;
}

/** Redis' persistence, from CONFIG GET appendonly, appendfsync and save. */
async function describePersistence(redis: Redis): Promise<string> {
  const get = async (name: string) => (await redis.config('GET', name))[1] ?? '';
  const appendonly = await get('appendonly');
  const appendfsync = await get('appendfsync');
  const save = (await get('save')).trim();
  const rdb = save === '' ? 'no RDB snapshots (save "")' : `RDB snapshots (save ${save})`;
  return appendonly === 'yes'
    ? `appendonly yes, appendfsync ${appendfsync}, ${rdb}`
    : `appendonly no, ${rdb}`;
}

/**
 * Raw Redis Streams through ioredis, on logical database `db`: XADD
 * `entries` entries with one ~100-byte field, then read them all back
 * through a consumer group created from 0 with XREADGROUP COUNT 1000,
 * acknowledging each batch with one XACK. The stream is deleted afterwards.
 */
export async function measureRedis(
  redisUrl: string,
  db: number,
  entries: number,
): Promise<RedisCeilings> {
  const redis = new Redis(redisUrl, { db, lazyConnect: true });
  await redis.connect();
  const stream = `bench_stream_${process.pid}`;
  const group = 'bench';
  try {
    await redis.del(stream);
    const persistence = await describePersistence(redis);

    // XADD in pipelines of 1,000 commands: one round trip per 1,000 entries,
    // as BullMQ's addBulk and millrace's batches are one round trip per batch.
    let started = performance.now();
    for (let done = 0; done < entries; done += 1000) {
      const pipeline = redis.pipeline();
      const batch = Math.min(1000, entries - done);
      for (let i = 0; i < batch; i++) pipeline.xadd(stream, '*', 'data', payload(done + i));
      const results = await pipeline.exec();
      const failed = results?.find(([error]) => error !== null);
      if (failed) throw failed[0] as Error;
      if (done % 50_000 === 0) progress(`  raw xadd: ${done}/${entries}`);
    }
    const xaddPerSecond = perSecond(entries, performance.now() - started);

    // A consumer group from the stream's start; then batches of 1,000 read
    // with XREADGROUP and acknowledged with XACK, one round trip each.
    await redis.xgroup('CREATE', stream, group, '0');
    started = performance.now();
    let read = 0;
    while (read < entries) {
      const reply = (await redis.xreadgroup(
        'GROUP',
        group,
        'bench-consumer',
        'COUNT',
        1000,
        'STREAMS',
        stream,
        '>',
      )) as [string, [string, string[]][]][] | null;
      const batch = reply?.[0]?.[1] ?? [];
      if (batch.length === 0) break;
      await redis.xack(stream, group, ...batch.map(([id]) => id));
      read += batch.length;
      if (read % 50_000 < 1000) progress(`  raw xreadgroup+xack: ${read}/${entries}`);
    }
    if (read !== entries) throw new Error(`read ${read} of ${entries} stream entries`);
    const readAckPerSecond = perSecond(read, performance.now() - started);
    return { xaddPerSecond, readAckPerSecond, persistence };
  } finally {
    await redis.del(stream);
    await redis.quit();
  }
}
