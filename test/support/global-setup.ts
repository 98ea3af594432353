import { assertPostgresReachable } from './database.js';

/** PostgreSQL answers, or the run stops at once saying how to start it. */
export default async function setup(): Promise<void> {
  await assertPostgresReachable();
}
