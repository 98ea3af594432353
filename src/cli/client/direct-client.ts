import { readBridgeStatus, type BridgeStatus } from '../../bridge/bridge-status.js';
import type { DeliveryFilter } from '../../core/contracts/deliveries.js';
import type { StartFromInput } from '../../core/consumer/options.js';
import type { ReadPage } from '../../core/contracts/log.js';
import type { DeadLetterQuery } from '../../core/deliveries/dead-letters.js';
import { DeadLetterList, DeliveryJson, deliveryJson } from '../../server/wire/dead-letters.js';
import type { PruneResult } from '../../core/contracts/retention.js';
import type { PruneOptions } from '../../core/retention/prune-options.js';
import type { PublishInput, PublishResult } from '../../core/event.js';
import type { Position } from '../../core/position.js';
import type { ConsumerStatus, Millrace, ScheduledOptions } from '../../millrace.js';
import type { NewKeyOptions } from '../../core/keys/api-keys.js';
import {
  createdKeyJson,
  keyJson,
  type CreatedKeyJson,
  type KeyJson,
} from '../../server/wire/keys.js';
import { EventWaiter } from '../../server/event-waiter.js';
import type { ClientReadOptions, MillraceClient, ScheduledList } from './client.js';

/** Opens the database in this process: PostgreSQL, or the embedded PGlite directory. */
export class DirectClient implements MillraceClient {
  private readonly waiter: EventWaiter;

  constructor(
    private readonly millrace: Millrace,
    readonly description: string,
  ) {
    this.waiter = new EventWaiter(millrace);
  }

  publish(event: PublishInput): Promise<PublishResult> {
    return this.millrace.publish(event);
  }

  publishBatch(events: readonly PublishInput[]): Promise<PublishResult[]> {
    return this.millrace.publishBatch(events);
  }

  async scheduled(options: ScheduledOptions): Promise<ScheduledList> {
    const [count, page] = await Promise.all([
      this.millrace.scheduledCount(),
      this.millrace.scheduledPage(options),
    ]);
    return { count, events: page.events, next: page.next ?? null };
  }

  resetConsumer(name: string, to: StartFromInput): Promise<void> {
    return this.millrace.resetConsumer(name, to);
  }

  async deadLetters(query: DeadLetterQuery): Promise<DeadLetterList> {
    const page = await this.millrace.deadLetters.list(query);
    return DeadLetterList.parse({
      deadLetters: page.records.map(deliveryJson),
      next: page.next ?? null,
    });
  }

  async deadLetter(consumer: string, eventId: string): Promise<DeliveryJson> {
    return DeliveryJson.parse(deliveryJson(await this.millrace.deadLetters.get(consumer, eventId)));
  }

  retryDeadLetters(filter: DeliveryFilter): Promise<number> {
    return this.millrace.deadLetters.retry(filter);
  }

  discardDeadLetters(filter: DeliveryFilter): Promise<number> {
    return this.millrace.deadLetters.discard(filter);
  }

  cancelScheduled(id: string): Promise<boolean> {
    return this.millrace.cancelScheduled(id);
  }

  read(options: ClientReadOptions): Promise<ReadPage> {
    return this.millrace.read(options);
  }

  waitForEvents(options: ClientReadOptions, waitMs: number, signal?: AbortSignal) {
    return this.waiter.read(options, waitMs, signal);
  }

  end(): Promise<Position> {
    return this.millrace.end();
  }

  consumerStatus(name: string): Promise<ConsumerStatus> {
    return this.millrace.consumerStatus(name);
  }

  consumerStatuses(): Promise<ConsumerStatus[]> {
    return this.millrace.consumerStatuses();
  }

  prune(options: PruneOptions): Promise<PruneResult> {
    return this.millrace.prune(options);
  }

  bridgeStatus(name: string): Promise<BridgeStatus> {
    return readBridgeStatus(this.millrace, name);
  }

  async createKey(options: NewKeyOptions): Promise<CreatedKeyJson> {
    return createdKeyJson(await this.millrace.keys.create(options));
  }

  async listKeys(): Promise<KeyJson[]> {
    return (await this.millrace.keys.list()).map(keyJson);
  }

  revokeKey(id: string): Promise<void> {
    return this.millrace.keys.revoke(id);
  }

  close(): Promise<void> {
    return this.millrace.close();
  }
}
