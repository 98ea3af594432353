import { assertPostgresReachable } from './database.js';
import { assertKafkaReachable } from './kafka.js';

/** Every service the tests talk to answers, or the run stops at once saying how to start it. */
export default async function setup(): Promise<void> {
  await assertPostgresReachable();
  await assertKafkaReachable();
}
