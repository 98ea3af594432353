/** The machine line of the bridge benchmark: bench/machine.ts's, plus Redis as the run found it. */
import { Redis } from 'ioredis';
import { DATABASE_URL } from '../backends.js';
import { describeMachine } from '../machine.js';
import { REDIS_URL } from './places.js';

async function describeRedis(): Promise<string> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const info = await client.info('server');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
    const config = async (name: string) => (await client.config('GET', name))[1];
    const limits = (await config('client-output-buffer-limit')) ?? '';
    const pubsub = /pubsub (\d+) (\d+) (\d+)/.exec(limits);
    const mb = (bytes: string | undefined) => `${Math.round(Number(bytes) / 2 ** 20)} MiB`;
    const limit = pubsub
      ? `pubsub output buffer ${mb(pubsub[1])} hard, ${mb(pubsub[2])} for ${pubsub[3]} s soft`
      : 'pubsub output buffer limit unknown';
    return `Redis ${version} (appendonly ${await config('appendonly')}, ${limit})`;
  } finally {
    client.disconnect();
  }
}

export async function describeBridgeMachine(): Promise<string> {
  return `${await describeMachine(DATABASE_URL)}, ${await describeRedis()}`;
}
