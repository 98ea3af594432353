/**
 * The conformance tier's set-up: PostgreSQL always (two of its targets run
 * on it), Kafka, Redis and a Redis Cluster of its own when they are among
 * the targets (`CONFORMANCE_TARGETS`, all of them when unset; see
 * conformance/targets.ts).
 */
import { assertPostgresReachable } from './database.js';
import { ensureKafka } from './kafka-global-setup.js';
import { checkRedis } from './redis.js';
import { startRedisCluster, stopRedisCluster } from './redis-cluster.js';

export default async function setup(): Promise<() => Promise<void>> {
  await assertPostgresReachable();
  const targets = (process.env.CONFORMANCE_TARGETS ?? '').trim();
  const wanted = (name: string) =>
    targets === '' || targets.split(',').some((given) => given.trim() === name);
  if (wanted('redis')) await checkRedis();
  // The cluster is the suite's own: started here, stopped when the run ends.
  const cluster = wanted('redis-cluster');
  if (cluster) await startRedisCluster();
  const stopKafka = wanted('kafka') ? await ensureKafka() : undefined;
  return async () => {
    stopKafka?.();
    if (cluster) await stopRedisCluster();
  };
}
