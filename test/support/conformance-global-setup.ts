/**
 * The conformance tier's set-up: PostgreSQL always (two of its targets run
 * on it), Kafka when Kafka is among the targets (`CONFORMANCE_TARGETS`, all
 * of them when unset; see conformance/targets.ts).
 */
import { assertPostgresReachable } from './database.js';
import { ensureKafka } from './kafka-global-setup.js';

export default async function setup(): Promise<(() => void) | undefined> {
  await assertPostgresReachable();
  const targets = (process.env.CONFORMANCE_TARGETS ?? '').trim();
  const kafka = targets === '' || targets.split(',').some((name) => name.trim() === 'kafka');
  return kafka ? ensureKafka() : undefined;
}
