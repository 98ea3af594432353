/**
 * Ages a Redis namespace's events for retention tests. A stream entry
 * cannot be edited in place, so each partition's stream is rebuilt: every
 * entry read, the stream deleted and the entries added again with the same
 * ids, the `time` of those at or below the position lowered. One MULTI per
 * partition (its keys share a hash tag). Test support only: nothing in
 * millrace rewrites the log.
 */
import type { Millrace } from '../../src/index.js';
import { RedisKeys } from '../../src/providers/redis/redis-keys.js';
import { RedisProvider } from '../../src/providers/redis/redis-provider.js';

/** Moves back by `ageMs` the time of every event at or below `position` in its partition. */
export async function ageRedisEvents(
  millrace: Millrace,
  position: string,
  ageMs: number,
): Promise<void> {
  const { provider } = millrace;
  if (!(provider instanceof RedisProvider))
    throw new Error('ageRedisEvents needs a Redis provider');
  const { client } = provider.connection;
  const keys = new RedisKeys(provider.connection.options.prefix);
  const categories = await client.hgetall(keys.categories);
  for (const [category, count] of Object.entries(categories)) {
    for (let partition = 0; partition < Number(count); partition++) {
      const { log } = keys.partition(category, partition);
      const entries = await client.xrange(log, '-', '+');
      if (entries.length === 0) continue;
      const rebuild = client.multi().del(log);
      for (const [id, fields] of entries) {
        const aged = [...fields];
        const at = aged.indexOf('time');
        if (at >= 0 && BigInt(id.split('-')[0] ?? '0') <= BigInt(position)) {
          aged[at + 1] = String(Number(aged[at + 1]) - ageMs);
        }
        rebuild.xadd(log, id, ...aged);
      }
      await rebuild.exec();
    }
  }
}
