/**
 * Which partition (Redis stream) a millrace stream lives in: a category's
 * partition count is fixed the first time the category is met (its streams
 * are laid out by it) and kept with the namespace; a stream's partition is
 * its FNV-1a hash modulo that count, as on the memory provider.
 */
import { streamHash } from '../../core/kit/stream-hash.js';
import type { RedisConnection } from './redis-connection.js';
import type { RedisKeys } from './redis-keys.js';

export class RedisCategories {
  /** Counts never change once stored: cached for good. */
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly connection: RedisConnection,
    readonly keys: RedisKeys,
  ) {}

  /** The category's partition count; undefined while nothing made it (a read of an unknown category). */
  async partitionsOf(category: string): Promise<number | undefined> {
    const known = this.counts.get(category);
    if (known !== undefined) return known;
    const stored = await this.connection.client.hget(this.keys.categories, category);
    if (stored === null) return undefined;
    this.counts.set(category, Number(stored));
    return Number(stored);
  }

  /** The category's partition count, fixing it at the provider's default if it is new. */
  async ensure(category: string): Promise<number> {
    const known = this.counts.get(category);
    if (known !== undefined) return known;
    const count = Number(
      await this.connection.run(
        'category_partitions',
        [this.keys.categories],
        [category, this.connection.options.partitions],
      ),
    );
    this.counts.set(category, count);
    return count;
  }

  async partitionOfStream(category: string, stream: string): Promise<number> {
    return streamHash(stream) % (await this.ensure(category));
  }
}
