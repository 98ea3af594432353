/**
 * Delivery records (retries, dead letters, cancellations) kept as rows of a
 * key-value table outside SQL: Kafka's compacted `<prefix>._deliveries`
 * topic (a tombstone removes a row), a Redis hash per consumer. Rows are
 * keyed by consumer and event id and hold JSON. Only failures are written,
 * so a table stays small; queries read it and are answered with the
 * DeliveryIndex, the rules every provider keeps.
 */
import type {
  DeliveryFilter,
  DeliveryPage,
  DeliveryRecord,
  DeliveryStore,
  DeliveryUpdate,
} from '../../contracts/deliveries.js';
import { deliveryMatcher } from './delivery-filter.js';
import type { Position } from '../../position.js';
import { DeliveryIndex } from './delivery-index.js';

type Row = DeliveryRecord;

/** The rows, keyed by `deliveryKey(consumer, eventId)`; writing undefined removes one. */
export interface DeliveryTable {
  /** Every row, or where the table can narrow it, those of one consumer. */
  snapshot(consumer?: string): Promise<ReadonlyMap<string, Row>>;
  write(entries: readonly (readonly [string, Row | undefined])[]): Promise<void>;
}

export const deliveryKey = (consumer: string, eventId: string) => `${consumer} ${eventId}`;
const keyOf = deliveryKey;

/** JSON turned dates into strings: bring them back. */
export function decodeDelivery(json: unknown): Row {
  const row = json as Row;
  const date = (value: Date | string) => new Date(value);
  return {
    ...row,
    event: { ...row.event, time: date(row.event.time) },
    scheduleAt: row.scheduleAt === null ? null : date(row.scheduleAt),
    createdAt: date(row.createdAt),
    updatedAt: date(row.updatedAt),
  };
}

export class TabledDeliveries implements DeliveryStore {
  constructor(private readonly table: DeliveryTable) {}

  async save(consumer: string, updates: readonly DeliveryUpdate[]): Promise<void> {
    const rows = await this.table.snapshot(consumer);
    const now = new Date();
    await this.table.write(
      updates.map((update) => {
        const key = keyOf(consumer, update.event.id);
        const known = rows.get(key);
        return [key, { ...update, consumer, createdAt: known?.createdAt ?? now, updatedAt: now }];
      }),
    );
  }

  async remove(consumer: string, eventIds: readonly string[]): Promise<void> {
    const rows = await this.table.snapshot(consumer);
    const known = eventIds.map((id) => keyOf(consumer, id)).filter((key) => rows.has(key));
    await this.table.write(known.map((key) => [key, undefined]));
  }

  async loadAfter(consumer: string, partition: number, after: Position): Promise<DeliveryRecord[]> {
    return (await this.view(consumer)).loadAfter(consumer, partition, after);
  }

  async dueReplays(
    consumer: string,
    partitions: readonly number[],
    limit: number,
  ): Promise<DeliveryRecord[]> {
    return (await this.view(consumer)).dueReplays(consumer, partitions, limit);
  }

  async list(filter: DeliveryFilter, limit: number, after?: string): Promise<DeliveryPage> {
    return (await this.view(filter.consumer)).list(filter, limit, after);
  }

  async retry(filter: DeliveryFilter): Promise<number> {
    const chosen = await this.settled(filter);
    const now = new Date();
    await this.table.write(
      chosen.map((r) => [
        keyOf(r.consumer, r.event.id),
        { ...r, state: 'retryable', attempts: 0, scheduleAt: now, replay: true, updatedAt: now },
      ]),
    );
    return chosen.length;
  }

  async discard(filter: DeliveryFilter): Promise<number> {
    const chosen = await this.settled(filter);
    await this.table.write(chosen.map((r) => [keyOf(r.consumer, r.event.id), undefined]));
    return chosen.length;
  }

  /** A reset forgets pending retries of the consumer; dead letters stay. */
  async forgetRetries(consumer: string): Promise<void> {
    const rows = await this.table.snapshot(consumer);
    const retrying = [...rows.values()].filter(
      (r) => r.consumer === consumer && r.state === 'retryable',
    );
    await this.table.write(retrying.map((r) => [keyOf(consumer, r.event.id), undefined]));
  }

  /** Dead letters and cancelled deliveries matching the filter. */
  private async settled(filter: DeliveryFilter): Promise<Row[]> {
    const matches = deliveryMatcher(filter);
    const rows = await this.table.snapshot(filter.consumer);
    return [...rows.values()].filter(
      (r) =>
        r.state !== 'retryable' &&
        (filter.consumer === undefined || r.consumer === filter.consumer) &&
        matches(r),
    );
  }

  /** The rows grouped by consumer, queried with the kit's rules. */
  private async view(consumer?: string): Promise<DeliveryIndex> {
    const grouped = new Map<string, Map<string, DeliveryRecord>>();
    for (const row of (await this.table.snapshot(consumer)).values()) {
      let mine = grouped.get(row.consumer);
      if (mine === undefined) grouped.set(row.consumer, (mine = new Map<string, DeliveryRecord>()));
      mine.set(row.event.id, row);
    }
    return new DeliveryIndex(grouped, () => undefined);
  }
}
