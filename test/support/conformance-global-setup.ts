/**
 * The conformance tier's set-up: PostgreSQL always (two of its targets run
 * on it), Kafka and Redis when they are among the targets
 * (`CONFORMANCE_TARGETS`, all of them when unset; see conformance/targets.ts).
 */
import { assertPostgresReachable } from './database.js';
import { ensureKafka } from './kafka-global-setup.js';
import { checkRedis } from './redis.js';

export default async function setup(): Promise<(() => void) | undefined> {
  await assertPostgresReachable();
  const targets = (process.env.CONFORMANCE_TARGETS ?? '').trim();
  const wanted = (name: string) =>
    targets === '' || targets.split(',').some((given) => given.trim() === name);
  if (wanted('redis')) await checkRedis();
  return wanted('kafka') ? ensureKafka() : undefined;
}
