/**
 * What a restart of the Redis server would lose, read from its own settings
 * when the provider opens, and said once: a Redis that keeps nothing on
 * disk loses every event on a restart, one that only snapshots loses what
 * came after the last snapshot, one with an append-only file fsynced every
 * second loses up to a second. A server that hides its settings (`CONFIG`
 * renamed or refused, as managed services do) is reported as unknown.
 */
import { errorFields, type Logger } from '../../core/logger.js';
import type { RedisClient } from './redis-connection.js';

export type Persistence =
  'none' | 'snapshots' | 'aof-everysec' | 'aof-always' | 'aof-no' | 'unknown';

async function setting(client: RedisClient, name: string): Promise<string> {
  const reply = (await client.call('CONFIG', 'GET', name)) as string[];
  return reply[1] ?? '';
}

export async function readPersistence(client: RedisClient): Promise<Persistence> {
  const [appendonly, appendfsync, save] = await Promise.all([
    setting(client, 'appendonly'),
    setting(client, 'appendfsync'),
    setting(client, 'save'),
  ]);
  if (appendonly === 'yes') {
    if (appendfsync === 'always') return 'aof-always';
    return appendfsync === 'no' ? 'aof-no' : 'aof-everysec';
  }
  return save.trim() === '' ? 'none' : 'snapshots';
}

const LOSES: Record<Persistence, string | undefined> = {
  none: 'keeps nothing on disk (no append-only file, no snapshots): a restart loses every event',
  snapshots:
    'only snapshots (no append-only file): a restart loses what came after the last snapshot',
  'aof-no':
    'an append-only file the operating system flushes when it likes: a crash may lose the last seconds',
  'aof-everysec': undefined,
  'aof-always': undefined,
  unknown: undefined,
};

/** Warns when a restart would lose data; says at info what a crash may lose otherwise. */
export async function reportPersistence(
  client: RedisClient,
  where: string,
  logger: Logger,
): Promise<Persistence> {
  let persistence: Persistence;
  try {
    persistence = await readPersistence(client);
  } catch (error) {
    logger.info(
      { redis: where, ...errorFields(error) },
      'redis: could not read the persistence settings',
    );
    return 'unknown';
  }
  const loses = LOSES[persistence];
  if (loses !== undefined) {
    logger.warn({ redis: where, persistence }, `redis at ${where} ${loses}`);
  } else if (persistence === 'aof-everysec') {
    logger.info(
      { redis: where, persistence },
      `redis at ${where} fsyncs its append-only file every second: a crash may lose the last second`,
    );
  }
  return persistence;
}
