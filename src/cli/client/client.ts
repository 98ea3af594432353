/**
 * What every command needs from millrace, whether it talks to a server over
 * HTTP or opens the database itself. Commands never care which.
 */
import type { BridgeStatus } from '../../bridge/bridge-status.js';
import type { NewKeyOptions } from '../../core/keys/api-keys.js';
import type { CreatedKeyJson, KeyJson } from '../../server/wire/keys.js';
import type { DeliveryFilter } from '../../core/contracts/deliveries.js';
import type { StartFromInput } from '../../core/consumer/options.js';
import type { ReadPage } from '../../core/contracts/log.js';
import type { DeadLetterQuery } from '../../core/deliveries/dead-letters.js';
import type { DeadLetterList, DeliveryJson } from '../../server/wire/dead-letters.js';
import type { PruneResult } from '../../core/contracts/retention.js';
import type { PruneOptions } from '../../core/retention/prune-options.js';
import type { PendingScheduledEvent } from '../../core/contracts/scheduled.js';
import type { PublishInput, PublishResult } from '../../core/event.js';
import type { Position } from '../../core/position.js';
import type { ConsumerStatus, ReadOptions, ScheduledOptions } from '../../millrace.js';

export interface ScheduledList {
  readonly count: number;
  readonly events: readonly PendingScheduledEvent[];
  /** Pass as `after` for the next page; null when nothing more waits. */
  readonly next: string | null;
}

export type ClientReadOptions = Omit<ReadOptions, 'partition'>;

export interface MillraceClient {
  /** Where the commands go, for messages: a URL, or the database opened directly. */
  readonly description: string;
  publish(event: PublishInput): Promise<PublishResult>;
  /** Atomically, in one round trip. */
  publishBatch(events: readonly PublishInput[]): Promise<PublishResult[]>;
  /** Delayed events waiting for their time: how many, and a page of them. */
  scheduled(options: ScheduledOptions): Promise<ScheduledList>;
  cancelScheduled(id: string): Promise<boolean>;
  read(options: ClientReadOptions): Promise<ReadPage>;
  /** Reads; when nothing is there, waits up to `waitMs` for events to arrive. */
  waitForEvents(
    options: ClientReadOptions,
    waitMs: number,
    signal?: AbortSignal,
  ): Promise<ReadPage>;
  end(): Promise<Position>;
  consumerStatus(name: string): Promise<ConsumerStatus>;
  consumerStatuses(): Promise<ConsumerStatus[]>;
  /** Deletes old events, never past a consumer's position unless `force`. */
  prune(options: PruneOptions): Promise<PruneResult>;
  /** Moves a consumer's positions (replay or skip ahead), through the allocator. */
  resetConsumer(name: string, to: StartFromInput): Promise<void>;
  /** An ingress bridge's status, from its last checkpoint: whichever process leads it. */
  bridgeStatus(name: string): Promise<BridgeStatus>;
  /** Dead letters (or retrying or cancelled deliveries, by `state`), newest first. */
  deadLetters(query: DeadLetterQuery): Promise<DeadLetterList>;
  deadLetter(consumer: string, eventId: string): Promise<DeliveryJson>;
  retryDeadLetters(filter: DeliveryFilter): Promise<number>;
  discardDeadLetters(filter: DeliveryFilter): Promise<number>;
  /** API keys of the HTTP API; a new key's text is in its answer, once. */
  createKey(options: NewKeyOptions): Promise<CreatedKeyJson>;
  listKeys(): Promise<KeyJson[]>;
  revokeKey(id: string): Promise<void>;
  close(): Promise<void>;
}
