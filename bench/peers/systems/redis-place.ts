/**
 * A run's place on the shared Redis, for every system that keeps its jobs
 * there (BullMQ, millrace's Redis provider): an empty logical database
 * claimed for the run, a random key prefix, and the append-only settings the
 * run asks of Redis, set for the run and restored afterwards, so systems
 * compared side by side write to disk alike.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Place } from '../system.js';

export const REDIS_URL = process.env.MILLRACE_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key set in a claimed database so that concurrent benchmark runs never pick the same one. */
const CLAIM_KEY = 'millrace-bench:claim';

/** Host, port, credentials and database of a Redis URL, as ioredis/BullMQ connection options. */
export function redisOptions(url: string, db: number) {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    db,
  };
}

/**
 * Claims an empty logical database (1..15) on the Redis at `url`: one whose
 * DBSIZE is 0, where this call wins a SET NX of a claim key, then flushed
 * and re-marked to be sure. Release it with {@link releaseRedisDb}.
 */
export async function claimRedisDb(url: string, owner: string): Promise<number> {
  for (let db = 1; db <= 15; db++) {
    const redis = new Redis({ ...redisOptions(url, db), lazyConnect: true });
    try {
      await redis.connect();
      if ((await redis.dbsize()) !== 0) continue;
      if ((await redis.set(CLAIM_KEY, owner, 'NX')) !== 'OK') continue;
      // Ours now: no other claimant can win the SET NX above. Flush to be sure, keep the claim.
      await redis.multi().flushdb().set(CLAIM_KEY, owner).exec();
      return db;
    } finally {
      redis.disconnect();
    }
  }
  throw new Error(`no empty Redis database among 1..15 at ${url}`);
}

/** Deletes the keys that `match` (a SCAN pattern, if given) and the claim key of a database claimed with {@link claimRedisDb}. */
export async function releaseRedisDb(url: string, db: number, match?: string): Promise<void> {
  const redis = new Redis({ ...redisOptions(url, db), lazyConnect: true });
  try {
    await redis.connect();
    if (match !== undefined) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 10_000);
        if (keys.length > 0) await redis.unlink(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
    await redis.del(CLAIM_KEY);
  } finally {
    redis.disconnect();
  }
}

/** How Redis keeps what a system writes: its append-only file, fsynced on every write or once a second. */
export type AppendFsync = 'always' | 'everysec';

export const DURABILITY: Record<AppendFsync, string> = {
  always:
    "For the run Redis writes an append-only file fsynced before every reply (`CONFIG SET appendonly yes`, `appendfsync always`), the durability of the PostgreSQL systems (fsync and synchronous_commit on); the machine's Redis otherwise keeps nothing (appendonly no, no RDB snapshots), and is restored afterwards.",
  everysec:
    'For the run Redis writes an append-only file fsynced once a second (`CONFIG SET appendonly yes`, `appendfsync everysec`), what https://docs.bullmq.io/guide/going-to-production recommends (Persistence): a crash may lose the last second of acknowledged jobs; restored afterwards.',
};

/**
 * Turns on Redis's append-only file with the given fsync policy, waits until
 * the rewrite that starts it is done, and returns the settings to restore.
 */
export async function persist(url: string, fsync: AppendFsync): Promise<string> {
  const redis = new Redis(url, { lazyConnect: true });
  try {
    await redis.connect();
    const before = {
      appendonly: (await redis.config('GET', 'appendonly'))[1] as string,
      appendfsync: (await redis.config('GET', 'appendfsync'))[1] as string,
    };
    await redis.config('SET', 'appendonly', 'yes', 'appendfsync', fsync);
    for (;;) {
      const info = await redis.info('persistence');
      if (
        /aof_enabled:1/.test(info) &&
        /aof_rewrite_in_progress:0/.test(info) &&
        /aof_rewrite_scheduled:0/.test(info)
      ) {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return JSON.stringify(before);
  } finally {
    redis.disconnect();
  }
}

export async function restore(url: string, saved: string): Promise<void> {
  const before = JSON.parse(saved) as { appendonly: string; appendfsync: string };
  const redis = new Redis(url, { lazyConnect: true });
  try {
    await redis.connect();
    await redis.config('SET', 'appendonly', before.appendonly, 'appendfsync', before.appendfsync);
  } finally {
    redis.disconnect();
  }
}

/** Sets Redis's append-only file up for a run and claims a database and a key prefix for it. */
export async function createRedisPlace(prefixStem: string, fsync: AppendFsync): Promise<Place> {
  const prefix = `${prefixStem}_${randomBytes(4).toString('hex')}`;
  const restoreTo = await persist(REDIS_URL, fsync);
  const db = await claimRedisDb(REDIS_URL, prefix);
  return { url: REDIS_URL, db: String(db), prefix, restoreTo };
}

/** Deletes what `match` selects in the run's database, releases it and restores Redis's settings. */
export async function destroyRedisPlace(place: Place, match: string): Promise<void> {
  const url = place.url ?? REDIS_URL;
  await releaseRedisDb(url, Number(place.db), match);
  if (place.restoreTo !== undefined) await restore(url, place.restoreTo);
}
