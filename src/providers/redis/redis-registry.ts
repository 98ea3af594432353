/**
 * The consumer registry on Redis: one hash of records (JSON) for the
 * namespace, and each consumer's positions under its own hash tag. A
 * consumer's partitions are its category's partitions (its Redis streams),
 * so the count is the category's, as on Kafka; `startFrom` is resolved per
 * partition, since positions are per partition.
 */
import type {
  ConsumerDefinition,
  ConsumerRecord,
  ConsumerRegistry,
  StartFrom,
} from '../../core/contracts/registry.js';
import { NotFoundError, ValidationError } from '../../core/errors.js';
import {
  newStoredConsumer,
  reregistered,
  toConsumerRecord,
  type StoredConsumer,
} from '../../core/kit/stored-consumers.js';
import { BEGINNING, type Position } from '../../core/position.js';
import { parseSequence } from '../../core/sequence.js';
import type { RedisCategories } from './redis-categories.js';
import type { RedisConnection } from './redis-connection.js';
import { categoryOf } from './redis-log.js';

export class RedisRegistry implements ConsumerRegistry {
  constructor(
    private readonly connection: RedisConnection,
    private readonly categories: RedisCategories,
  ) {}

  private get keys() {
    return this.categories.keys;
  }

  async register(
    definition: ConsumerDefinition,
    start: Position,
    from: StartFrom = { kind: 'position', position: start },
  ): Promise<ConsumerRecord> {
    const category = categoryOf(definition.sequence);
    const partitions = await this.categories.ensure(category);
    if (definition.partitions !== partitions) {
      throw new ValidationError(
        `redis category ${category} has ${partitions} partitions: run consumer ${definition.name} with partitions: ${partitions}`,
        { reason: 'partition_count_mismatch', details: { category, partitions } },
      );
    }
    const existing = await this.stored(definition.name);
    const now = new Date().toISOString();
    if (existing === undefined) {
      const keys = this.keys.consumer(definition.name);
      // Set before the record exists: a member that sees the record finds its start.
      await this.connection.run(
        'positions_init',
        [keys.positions, keys.meta],
        await this.resolve(category, partitions, from),
      );
      const stored = newStoredConsumer(definition, partitions, now);
      // Two registering at once: the first record stays, and both answer it.
      await this.connection.client.hsetnx(this.keys.consumers, stored.name, JSON.stringify(stored));
      return toConsumerRecord((await this.stored(stored.name)) ?? stored);
    }
    const updated = reregistered(existing, definition, now);
    if (updated === undefined) return toConsumerRecord(existing);
    await this.connection.client.hset(this.keys.consumers, updated.name, JSON.stringify(updated));
    return toConsumerRecord(updated);
  }

  async reset(name: string, position: Position, from?: StartFrom): Promise<void> {
    const stored = await this.stored(name);
    if (stored === undefined) {
      throw new NotFoundError(`no consumer named ${JSON.stringify(name)}`, {
        reason: 'consumer_not_found',
      });
    }
    const category = categoryOf(parseSequence(stored.sequence));
    const targets = await this.resolve(
      category,
      stored.partitions,
      from ?? { kind: 'position', position },
    );
    const keys = this.keys.consumer(name);
    await this.connection.run(
      'consumer_reset',
      [keys.meta, keys.owners, keys.positions, keys.deliveries],
      [this.keys.membersChannel, name, ...targets],
    );
  }

  async get(name: string): Promise<ConsumerRecord | undefined> {
    const stored = await this.stored(name);
    return stored === undefined ? undefined : toConsumerRecord(stored);
  }

  async list(): Promise<ConsumerRecord[]> {
    const all = await this.connection.client.hgetall(this.keys.consumers);
    return Object.values(all)
      .map((text) => toConsumerRecord(JSON.parse(text) as StoredConsumer))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  private async stored(name: string): Promise<StoredConsumer | undefined> {
    const text = await this.connection.client.hget(this.keys.consumers, name);
    return text === null ? undefined : (JSON.parse(text) as StoredConsumer);
  }

  /** Where each partition starts, for `from`. */
  private async resolve(
    category: string,
    partitions: number,
    from: StartFrom,
  ): Promise<Position[]> {
    const each = Array.from({ length: partitions }, (_, p) => this.keys.partition(category, p));
    switch (from.kind) {
      case 'beginning':
        return each.map(() => BEGINNING);
      case 'position':
        return each.map(() => from.position);
      case 'end':
        return Promise.all(
          each.map(
            async (keys) => (await this.connection.client.hget(keys.heads, '#')) ?? BEGINNING,
          ),
        );
      case 'time':
        return Promise.all(
          each.map(
            async (keys) =>
              (await this.connection.run(
                'position_at_time',
                [keys.log, keys.heads],
                [from.time.getTime()],
              )) as string,
          ),
        );
    }
  }
}
