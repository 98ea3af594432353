/** Every system the peer benchmark knows, in the order its tables list them. */
import type { SystemKind } from './system.js';
import { bullmq, bullmqEverysec } from './systems/bullmq.js';
import { graphileWorker } from './systems/graphile-worker.js';
import {
  millraceKafka,
  millracePglite,
  millracePostgres,
  millraceRedis,
  millraceRedisEverysec,
} from './systems/millrace.js';
import { millraceHttp } from './systems/millrace-http.js';
import { pgBoss } from './systems/pg-boss.js';

export const SYSTEMS: readonly SystemKind[] = [
  millracePostgres,
  millracePglite,
  millraceKafka,
  millraceRedis,
  millraceRedisEverysec,
  millraceHttp,
  pgBoss,
  graphileWorker,
  bullmq,
  bullmqEverysec,
];

/** The system every ratio is taken against. */
export const BASELINE = millracePostgres.name;

export function systemNamed(name: string): SystemKind {
  const found = SYSTEMS.find((system) => system.name === name);
  if (!found) {
    throw new Error(
      `unknown system ${name}; known: ${SYSTEMS.map((system) => system.name).join(', ')}`,
    );
  }
  return found;
}
