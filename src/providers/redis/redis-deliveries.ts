/**
 * Delivery records on Redis: one hash per consumer (`deliveries`, under the
 * consumer's hash tag), event id → the record as JSON, read and written as
 * the kit's DeliveryTable, so the queries follow the rules every provider
 * keeps. Only failures are written; a query reads one consumer's hash, or
 * every consumer's when it names none.
 */
import type { DeliveryRecord } from '../../core/contracts/deliveries.js';
import {
  decodeDelivery,
  deliveryKey,
  type DeliveryTable,
} from '../../core/kit/deliveries/tabled-deliveries.js';
import type { RedisConnection } from './redis-connection.js';
import type { RedisKeys } from './redis-keys.js';

export class RedisDeliveryTable implements DeliveryTable {
  constructor(
    private readonly connection: RedisConnection,
    private readonly keys: RedisKeys,
  ) {}

  async snapshot(consumer?: string): Promise<ReadonlyMap<string, DeliveryRecord>> {
    const consumers =
      consumer === undefined ? await this.connection.client.hkeys(this.keys.consumers) : [consumer];
    const rows = new Map<string, DeliveryRecord>();
    const hashes = await Promise.all(
      consumers.map((name) => this.connection.client.hgetall(this.keys.consumer(name).deliveries)),
    );
    for (const [index, hash] of hashes.entries()) {
      const name = consumers[index] as string;
      for (const [eventId, json] of Object.entries(hash)) {
        rows.set(deliveryKey(name, eventId), decodeDelivery(JSON.parse(json)));
      }
    }
    return rows;
  }

  async write(entries: readonly (readonly [string, DeliveryRecord | undefined])[]): Promise<void> {
    const byConsumer = new Map<string, (readonly [string, DeliveryRecord | undefined])[]>();
    for (const [key, row] of entries) {
      // Consumer names hold no space; event ids may.
      const space = key.indexOf(' ');
      const consumer = key.slice(0, space);
      const mine = byConsumer.get(consumer) ?? [];
      mine.push([key.slice(space + 1), row]);
      byConsumer.set(consumer, mine);
    }
    await Promise.all(
      [...byConsumer].map(async ([consumer, rows]) => {
        const hash = this.keys.consumer(consumer).deliveries;
        const kept = rows.filter(([, row]) => row !== undefined);
        const gone = rows.filter(([, row]) => row === undefined).map(([id]) => id);
        const pipeline = this.connection.client.pipeline();
        if (kept.length > 0) {
          pipeline.hset(hash, ...kept.flatMap(([id, row]) => [id, JSON.stringify(row)]));
        }
        if (gone.length > 0) pipeline.hdel(hash, ...gone);
        const results = (await pipeline.exec()) ?? [];
        for (const [error] of results) if (error) throw error;
      }),
    );
  }
}
