/** API keys on Redis: one hash for the namespace, key id → the key as JSON (its secret hashed). */
import type { KeyTable, StoredKey } from '../../core/kit/keys/tabled-keys.js';
import type { RedisConnection } from './redis-connection.js';

export class RedisKeyTable implements KeyTable {
  constructor(
    private readonly connection: RedisConnection,
    private readonly hash: string,
  ) {}

  async get(id: string): Promise<StoredKey | undefined> {
    const json = await this.connection.client.hget(this.hash, id);
    return json === null ? undefined : (JSON.parse(json) as StoredKey);
  }

  async snapshot(): Promise<ReadonlyMap<string, StoredKey>> {
    const all = await this.connection.client.hgetall(this.hash);
    return new Map(Object.entries(all).map(([id, json]) => [id, JSON.parse(json) as StoredKey]));
  }

  async write(entries: readonly (readonly [string, StoredKey])[]): Promise<void> {
    if (entries.length === 0) return;
    await this.connection.client.hset(
      this.hash,
      ...entries.flatMap(([id, key]) => [id, JSON.stringify(key)]),
    );
  }
}
