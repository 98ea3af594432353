/**
 * Delivery records (retries, dead letters, cancellations) per consumer, held
 * in memory for providers that keep them outside SQL (the memory provider's
 * store, Kafka's compacted topic read into memory): one per consumer and
 * event, each with a copy of its event, queried with the deliveries table's
 * rules. Records are copied in and out, so callers never share them.
 */
import type {
  DeliveryFilter,
  DeliveryPage,
  DeliveryRecord,
  DeliveryStore,
  DeliveryUpdate,
} from '../../contracts/deliveries.js';
import { deliveryMatcher } from './delivery-filter.js';
import { comparePositions, type Position } from '../../position.js';
import { promised } from '../promised.js';

function copy(record: DeliveryRecord): DeliveryRecord {
  return structuredClone(record);
}

/** Newest first; ties by event id, so pages never skip or repeat. */
function newestFirst(a: DeliveryRecord, b: DeliveryRecord): number {
  return b.updatedAt.getTime() - a.updatedAt.getTime() || (a.event.id < b.event.id ? 1 : -1);
}

const cursorOf = (r: DeliveryRecord) => `${r.updatedAt.getTime()}:${r.event.id}`;

export class DeliveryIndex implements DeliveryStore {
  constructor(
    private readonly records: Map<string, Map<string, DeliveryRecord>>,
    private readonly assertOpen: () => void,
  ) {}

  save(consumer: string, updates: readonly DeliveryUpdate[]): Promise<void> {
    return promised(() => {
      this.assertOpen();
      let mine = this.records.get(consumer);
      if (mine === undefined)
        this.records.set(consumer, (mine = new Map<string, DeliveryRecord>()));
      const now = new Date();
      for (const update of updates) {
        const known = mine.get(update.event.id);
        mine.set(
          update.event.id,
          copy({ ...update, consumer, createdAt: known?.createdAt ?? now, updatedAt: now }),
        );
      }
    });
  }

  remove(consumer: string, eventIds: readonly string[]): Promise<void> {
    return promised(() => {
      this.assertOpen();
      const mine = this.records.get(consumer);
      for (const id of eventIds) mine?.delete(id);
    });
  }

  loadAfter(consumer: string, partition: number, after: Position): Promise<DeliveryRecord[]> {
    return promised(() => {
      this.assertOpen();
      return this.all(consumer)
        .filter(
          (r) =>
            r.partition === partition && !r.replay && comparePositions(r.event.position, after) > 0,
        )
        .sort((a, b) => comparePositions(a.event.position, b.event.position))
        .map(copy);
    });
  }

  dueReplays(
    consumer: string,
    partitions: readonly number[],
    limit: number,
  ): Promise<DeliveryRecord[]> {
    return promised(() => {
      this.assertOpen();
      const now = Date.now();
      return this.all(consumer)
        .filter(
          (r) =>
            r.replay &&
            r.state === 'retryable' &&
            partitions.includes(r.partition) &&
            (r.scheduleAt?.getTime() ?? 0) <= now,
        )
        .sort((a, b) => comparePositions(a.event.position, b.event.position))
        .slice(0, limit)
        .map(copy);
    });
  }

  list(filter: DeliveryFilter, limit: number, after?: string): Promise<DeliveryPage> {
    return promised(() => {
      this.assertOpen();
      const matches = this.matching(filter).sort(newestFirst);
      const start = after === undefined ? 0 : matches.findIndex((r) => cursorOf(r) === after) + 1;
      const records = matches.slice(start, start + limit);
      const last = records[records.length - 1];
      const more = start + limit < matches.length;
      return { records: records.map(copy), next: more && last ? cursorOf(last) : undefined };
    });
  }

  retry(filter: DeliveryFilter): Promise<number> {
    return promised(() => {
      this.assertOpen();
      const now = new Date();
      const chosen = this.matching(filter).filter((r) => r.state !== 'retryable');
      for (const r of chosen) {
        this.records.get(r.consumer)?.set(r.event.id, {
          ...r,
          state: 'retryable',
          attempts: 0,
          scheduleAt: now,
          replay: true,
          updatedAt: now,
        });
      }
      return chosen.length;
    });
  }

  discard(filter: DeliveryFilter): Promise<number> {
    return promised(() => {
      this.assertOpen();
      const chosen = this.matching(filter).filter((r) => r.state !== 'retryable');
      for (const r of chosen) this.records.get(r.consumer)?.delete(r.event.id);
      return chosen.length;
    });
  }

  private all(consumer?: string): DeliveryRecord[] {
    if (consumer !== undefined) return [...(this.records.get(consumer)?.values() ?? [])];
    return [...this.records.values()].flatMap((mine) => [...mine.values()]);
  }

  private matching(filter: DeliveryFilter): DeliveryRecord[] {
    const matches = deliveryMatcher(filter);
    return this.all(filter.consumer).filter(matches);
  }
}
