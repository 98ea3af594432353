/**
 * The entry point: publish events, read them, run consumers, inspect them,
 * over whichever provider was chosen. Handler code never sees the provider.
 */
import { Bridge } from './bridge/bridge.js';
import type { BridgeOptions } from './bridge/bridge-options.js';
import { DeadLetters } from './core/deliveries/dead-letters.js';
import { ApiKeys } from './core/keys/api-keys.js';
import type { PartitionSlice, ReadPage } from './core/contracts/log.js';
import type {
  Provider,
  ProviderCapabilities,
  ProviderFactory,
  TransactionOf,
} from './core/contracts/provider.js';
import type { LeaderView, MemberInfo, MemberView } from './core/contracts/membership.js';
import type { MemberDirectory } from './core/contracts/member-directory.js';
import type { ConsumerRecord } from './core/contracts/registry.js';
import type {
  DelayedEvents,
  ListedScheduledEvent,
  PendingScheduledEvent,
  ScheduledListRequest,
} from './core/contracts/scheduled.js';
import { parseScheduledCursor } from './core/contracts/scheduled-cursor.js';
import { Consumer } from './core/consumer/consumer.js';
import {
  resolveConsumerOptions,
  resolveStartFrom,
  type ConsumerOptions,
  type StartFromInput,
} from './core/consumer/options.js';
import { startPoint } from './core/consumer/start-position.js';
import {
  registerConsumer,
  type ConsumerDefinitionInput,
} from './core/consumer/register-consumer.js';
import { WakeupHub } from './core/consumer/wakeup-hub.js';
import { ClosedError, NotFoundError, UnsupportedError, ValidationError } from './core/errors.js';
import {
  DEFAULT_MAX_EVENT_BYTES,
  prepareBatch,
  prepareEvent,
  validateEventId,
  type EventInput,
  type PublishInput,
  type PublishResult,
  type PublishedEvent,
} from './core/event.js';
import type { JsonValue } from './core/json.js';
import { defaultLogger, type Logger } from './core/logger.js';
import { validateConsumerName, validateStream } from './core/names.js';
import { BEGINNING, validatePosition, type Position } from './core/position.js';
import { toSequence, type SequenceInput } from './core/sequence.js';
import { DelayedEventScheduler } from './core/scheduling/scheduler.js';
import { validateSubjectPattern } from './core/subjects.js';
import type { PruneResult, RetentionStore } from './core/contracts/retention.js';
import { toPruneRequest, type PruneOptions } from './core/retention/prune-options.js';
import {
  resolveRetention,
  RetentionPolicy,
  type ResolvedRetention,
  type RetentionOptions,
} from './core/retention/retention-policy.js';
import { holdEventLoop } from './util/event-loop-hold.js';

/** Where a Millrace instance gets its provider: a factory to open, or a provider already open. */
export type ProviderSource = ProviderFactory | Provider;

/** The provider a source gives. */
type OpenedBy<Source> = Source extends ProviderFactory<infer P> ? P : Source;

export interface MillraceOptions<Source extends ProviderSource = ProviderSource> {
  /** `postgres({...})`, `pglite({...})`, ... or an open provider. @defaultValue pglite in ./.millrace/pgdata */
  provider?: Source;
  /** Largest event accepted, data and metadata as JSON. @defaultValue 1 MiB */
  maxEventBytes?: number;
  logger?: Logger;
  /**
   * Prune old events automatically, e.g. `{ olderThan: '30d', every: '1h' }`,
   * never past a consumer's position. @defaultValue none: events are kept forever
   */
  retention?: RetentionOptions;
  /**
   * Take part in delivering delayed events: the instances sharing a database
   * elect one to do it, while any wait. It holds a connection for LISTEN: turn
   * it off in short-lived tools and with a pool of one connection.
   * @defaultValue true
   */
  deliverDelayed?: boolean;
}

export interface PublishOptions<Transaction = unknown> {
  /**
   * Publish inside your own database transaction (outbox): a `pg` client
   * inside BEGIN, or a PGlite transaction. The events exist if and only if it
   * commits. Needs `capabilities.transactionalPublish`.
   */
  transaction?: Transaction;
}

export interface ReadOptions {
  /** @defaultValue 'log' */
  sequence?: SequenceInput;
  /** Read events after this position. @defaultValue the beginning */
  after?: Position;
  /** @defaultValue 100 */
  limit?: number;
  subjects?: string[];
  partition?: PartitionSlice;
}

export interface PartitionStatus {
  readonly partition: number;
  readonly position: Position;
  /** The generation of the last commit. */
  readonly generation: number;
  readonly updatedAt: Date;
  /** Committed events of this partition after its position. */
  readonly lag: number;
  /** The member working it (null: nobody right now). */
  readonly owner: string | null;
  /** Being handed over to another member. */
  readonly revoking: boolean;
}

export interface ConsumerStatus extends ConsumerRecord {
  readonly positions: readonly PartitionStatus[];
  readonly lag: number;
  /** The allocation's generation. */
  readonly generation: number;
  /** Who runs the allocator, if anyone does right now. */
  readonly leader?: LeaderView | undefined;
  readonly members: readonly MemberView[];
}

export interface ScheduledOptions {
  /** Only this stream's delayed events. */
  stream?: string;
  /** @defaultValue 100 */
  limit?: number;
  /**
   * The `next` of an earlier page (or any listed event's `cursor`): lists the
   * events after that place in delivery order, even if the event it came
   * from has been delivered or cancelled since. @defaultValue from the first
   */
  after?: string;
}

/** A page of delayed events waiting for their time. */
export interface ScheduledPage {
  /** In delivery order, each with the cursor that lists the events after it. */
  readonly events: readonly ListedScheduledEvent[];
  /** Pass as `after` for the next page; undefined when nothing more waits. */
  readonly next: string | undefined;
}

/** Where the embedded default keeps its data, relative to the working directory. */
export const DEFAULT_DATA_DIR = '.millrace/pgdata';

function isProvider(value: ProviderFactory | Provider): value is Provider {
  return 'log' in value;
}

function validateLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) {
    throw new ValidationError('limit must be an integer from 1 to 10000', {
      reason: 'invalid_option',
    });
  }
  return limit;
}

function scheduledRequest(options: ScheduledOptions): ScheduledListRequest {
  const limit = validateLimit(options.limit ?? 100);
  const stream = options.stream === undefined ? undefined : validateStream(options.stream);
  if (options.after !== undefined) parseScheduledCursor(options.after);
  return { stream, limit, after: options.after };
}

/** `scheduled()` answers the events alone; `scheduledPage()` keeps their cursors. */
function withoutCursor(event: ListedScheduledEvent): PendingScheduledEvent {
  const { id, stream, subject, data, metadata, deliverAt, scheduledAt } = event;
  return { id, stream, subject, data, metadata, deliverAt, scheduledAt };
}

/**
 * `Transaction`: the provider's transaction type, what `publish` may run in
 * and what effectively-once handlers write through (a `pg` client with
 * `postgres()`, a PGlite transaction with `pglite()`, `never` without one).
 */
export class Millrace<Transaction = unknown> {
  private deadLetterDesk: DeadLetters | undefined;
  private keyDesk: ApiKeys | undefined;
  private readonly hub: WakeupHub;
  private readonly consumers = new Set<Consumer<never>>();
  private readonly bridges = new Set<Bridge>();
  private closed = false;
  private retention: RetentionPolicy | undefined;
  private scheduler: DelayedEventScheduler | undefined;

  private constructor(
    readonly provider: Provider<Transaction>,
    private readonly eventLimit: number,
    private readonly logger: Logger,
  ) {
    this.hub = new WakeupHub(provider.wakeups);
  }

  static async open<Source extends ProviderSource = ProviderSource>(
    options: MillraceOptions<Source> = {},
  ): Promise<Millrace<TransactionOf<OpenedBy<Source>>>> {
    const maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
    if (!Number.isSafeInteger(maxEventBytes) || maxEventBytes < 1) {
      throw new ValidationError('maxEventBytes must be a positive integer', {
        reason: 'invalid_option',
      });
    }
    const retention = options.retention && resolveRetention(options.retention);
    // The default provider loads only when it is the one used.
    const source =
      options.provider ??
      (await import('./providers/postgres/postgres-provider.js')).pglite({
        dataDir: DEFAULT_DATA_DIR,
      });
    const logger = options.logger ?? defaultLogger();
    const release = holdEventLoop();
    try {
      const provider = isProvider(source) ? source : await source.open({ logger });
      const millrace = new Millrace(
        provider as Provider<TransactionOf<OpenedBy<Source>>>,
        maxEventBytes,
        logger,
      );
      if (options.deliverDelayed !== false) {
        await millrace.startScheduler().catch(async (error: unknown) => {
          await provider.close();
          throw error;
        });
      }
      if (retention !== undefined) millrace.startRetention(retention);
      return millrace;
    } finally {
      release();
    }
  }

  /** The largest event accepted, data and metadata as JSON, in bytes. */
  get maxEventBytes(): number {
    return this.eventLimit;
  }

  get capabilities(): ProviderCapabilities {
    return this.provider.capabilities;
  }

  /** The provider's name: `postgres`, `pglite`, `kafka`, `memory`. */
  get providerKind(): string {
    return this.provider.kind;
  }

  /**
   * Calls `listener` whenever events may have arrived for `sequence`, through
   * the one subscription the consumers of this process share (the server's
   * long polls wait on it). Without wake-ups from the provider
   * (`wakesOnEvents` false) it is never called: a waiter polls.
   */
  onEvents(sequence: SequenceInput, listener: () => void): Promise<() => Promise<void>> {
    this.assertOpen();
    return this.hub.register(toSequence(sequence), () => listener());
  }

  /** Whether the provider wakes `onEvents` listeners when events arrive. */
  get wakesOnEvents(): boolean {
    return this.provider.wakeups !== undefined;
  }

  /**
   * Where the provider keeps members over HTTP so that every server over it
   * can serve them; undefined where it has no such place (each server then
   * keeps its own).
   */
  get httpMemberDirectory(): MemberDirectory | undefined {
    return this.provider.httpMembers;
  }

  /** API keys of the HTTP API: create, list, revoke, verify. */
  get keys(): ApiKeys {
    this.keyDesk ??= new ApiKeys(this.provider.keys, () => this.assertOpen());
    return this.keyDesk;
  }

  /** Dead letters: list, inspect, retry, discard. */
  get deadLetters(): DeadLetters {
    this.deadLetterDesk ??= new DeadLetters(this.provider.deliveries, () => this.assertOpen());
    return this.deadLetterDesk;
  }

  /**
   * Publishes one event. With `deliverAt` in the future it is scheduled
   * instead: it enters the log when due, and the answer is a ScheduledEvent.
   */
  publish(event: EventInput, options?: PublishOptions<Transaction>): Promise<PublishedEvent>;
  publish(event: PublishInput, options?: PublishOptions<Transaction>): Promise<PublishResult>;
  async publish(
    event: PublishInput,
    options: PublishOptions<Transaction> = {},
  ): Promise<PublishResult> {
    const prepared = prepareEvent(event, this.eventLimit);
    const [published] = await this.append([prepared], options);
    return published as PublishResult;
  }

  /** Publishes (and schedules) a batch in one round trip, atomically: all or none. */
  publishBatch(
    events: readonly EventInput[],
    options?: PublishOptions<Transaction>,
  ): Promise<PublishedEvent[]>;
  publishBatch(
    events: readonly PublishInput[],
    options?: PublishOptions<Transaction>,
  ): Promise<PublishResult[]>;
  async publishBatch(
    events: readonly PublishInput[],
    options: PublishOptions<Transaction> = {},
  ): Promise<PublishResult[]> {
    return this.append(prepareBatch(events, this.eventLimit), options);
  }

  /** Delayed events not yet delivered, in delivery order (`deliverAt`, then schedule order). */
  async scheduled(options: ScheduledOptions = {}): Promise<PendingScheduledEvent[]> {
    const events = await this.delayed().store.list(scheduledRequest(options));
    return events.map(withoutCursor);
  }

  /** As `scheduled`, with the cursor to go on from: page through them with `after: page.next`. */
  async scheduledPage(options: ScheduledOptions = {}): Promise<ScheduledPage> {
    const request = scheduledRequest(options);
    // One more than asked for tells whether anything follows the page.
    const events = await this.delayed().store.list({ ...request, limit: request.limit + 1 });
    const page = events.slice(0, request.limit);
    return { events: page, next: events.length > request.limit ? page.at(-1)?.cursor : undefined };
  }

  /** How many delayed events wait for their time. */
  async scheduledCount(): Promise<number> {
    return this.delayed().store.count();
  }

  /** Cancels a delayed event not yet delivered; false if none waits with this id. */
  async cancelScheduled(id: string): Promise<boolean> {
    return this.delayed().store.cancel(validateEventId(id));
  }

  /** Reads events after a position, in log order. */
  async read(options: ReadOptions = {}): Promise<ReadPage> {
    this.assertOpen();
    const limit = validateLimit(options.limit ?? 100);
    const subjects = options.subjects ?? [];
    subjects.forEach(validateSubjectPattern);
    const { partition } = options;
    if (
      partition !== undefined &&
      !(
        Number.isSafeInteger(partition.count) &&
        Number.isSafeInteger(partition.index) &&
        partition.count >= 1 &&
        partition.count <= this.capabilities.maxPartitions &&
        partition.index >= 0 &&
        partition.index < partition.count
      )
    ) {
      throw new ValidationError(
        `invalid partition ${JSON.stringify(partition)}: index from 0 to count - 1, count from 1 to ${this.capabilities.maxPartitions}`,
        { reason: 'invalid_partition' },
      );
    }
    return this.provider.log.read({
      sequence: toSequence(options.sequence ?? 'log'),
      after: options.after === undefined ? BEGINNING : validatePosition(options.after),
      limit,
      subjects,
      partition: options.partition,
    });
  }

  /** The position at the end of the readable log, for reading or tailing "from now". */
  end(): Promise<Position> {
    this.assertOpen();
    return this.provider.log.end();
  }

  /**
   * A consumer member, ready to `start()`. `member` names it as someone
   * else than this process: the HTTP server hosts members for workers in
   * other processes.
   */
  consumer<Data = JsonValue>(
    options: ConsumerOptions<Data, Transaction>,
    member?: MemberInfo,
  ): Consumer<Data> {
    this.assertOpen();
    // The runtime hands the handler the provider's own transaction: of this type.
    const resolved = resolveConsumerOptions(
      options as ConsumerOptions<Data>,
      this.provider.capabilities,
    );
    const consumer = new Consumer<Data>(
      this.provider,
      this.hub,
      resolved,
      options.logger ?? this.logger,
      member,
    );
    this.consumers.add(consumer);
    consumer.signals.on('stopped', () => this.consumers.delete(consumer as Consumer<never>));
    return consumer;
  }

  /**
   * Registers a consumer, or updates its subjects, partitions and attempt
   * limit, without starting a member; its status, and whether it is new.
   */
  async registerConsumer(
    input: ConsumerDefinitionInput,
  ): Promise<{ status: ConsumerStatus; created: boolean }> {
    this.assertOpen();
    const { record, created } = await registerConsumer(this.provider, input);
    return { status: await this.status(record), created };
  }

  /** A registered consumer: its options, positions and lag per partition. */
  async consumerStatus(name: string): Promise<ConsumerStatus> {
    this.assertOpen();
    const record = await this.provider.registry.get(validateConsumerName(name));
    if (record === undefined) {
      throw new NotFoundError(`no consumer named ${JSON.stringify(name)}`, {
        reason: 'unknown_consumer',
      });
    }
    return this.status(record);
  }

  /**
   * Replays (or skips ahead): moves every partition of a consumer to the
   * beginning, the end, a position or a time. Safe while members run: the
   * allocator hands the partitions out again under a new generation, so the
   * members working them before are fenced and nothing they commit later
   * moves a position back. Pending retries are forgotten; dead letters stay.
   */
  async resetConsumer(name: string, to: StartFromInput): Promise<void> {
    this.assertOpen();
    const consumer = validateConsumerName(name);
    const from = resolveStartFrom(to);
    const position = await startPoint(from, this.provider.log, this.provider.capabilities);
    await this.provider.registry.reset(consumer, position, from);
  }

  /** Every registered consumer, with positions and lag. */
  async consumerStatuses(): Promise<ConsumerStatus[]> {
    this.assertOpen();
    const records = await this.provider.registry.list();
    return Promise.all(records.map((record) => this.status(record)));
  }

  /**
   * Deletes old events: those older than `olderThan` and/or beyond the newest
   * `keepLast` of each category, but never one a consumer has still to
   * handle unless `force`. The result names the consumers that held it back.
   */
  async prune(options: PruneOptions): Promise<PruneResult> {
    this.assertOpen();
    const request = toPruneRequest(options);
    return this.retentionStore().prune(request);
  }

  /**
   * An ingress bridge into this log, from a pub/sub source that keeps
   * nothing (see docs/bridge.md); `start()` it in every process that runs it.
   */
  bridge(options: BridgeOptions & { logger?: Logger }): Bridge {
    this.assertOpen();
    const bridge = new Bridge(this, options, options.logger ?? this.logger);
    this.bridges.add(bridge);
    return bridge;
  }

  /** Stops the bridges and consumers started here and closes the provider. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.bridges].map((bridge) => bridge.stop()));
    await this.retention?.stop();
    await Promise.all([...this.consumers].map((consumer) => consumer.stop()));
    await this.scheduler?.stop();
    await this.provider.close();
  }

  private async append(
    prepared: Parameters<Provider['log']['append']>[0],
    options: PublishOptions<Transaction>,
  ): Promise<PublishResult[]> {
    this.assertOpen();
    if (options.transaction !== undefined && !this.capabilities.transactionalPublish) {
      throw new UnsupportedError(
        `the ${this.provider.kind} provider cannot publish inside your transaction`,
      );
    }
    if (
      !this.capabilities.optimisticConcurrency &&
      prepared.some((e) => e.expectedVersion !== null)
    ) {
      throw new UnsupportedError(
        `the ${this.provider.kind} provider does not support expectedVersion`,
      );
    }
    if (prepared.some((e) => e.deliverAt !== null)) {
      return this.delayed().store.publish(prepared, { transaction: options.transaction });
    }
    return this.provider.log.append(prepared, { transaction: options.transaction });
  }

  private delayed(): DelayedEvents {
    this.assertOpen();
    if (!this.capabilities.delayedEvents || this.provider.delayed === undefined) {
      throw new UnsupportedError(
        `the ${this.provider.kind} provider does not support delayed events`,
      );
    }
    return this.provider.delayed;
  }

  private async startScheduler(): Promise<void> {
    if (this.provider.delayed === undefined) return;
    this.scheduler = new DelayedEventScheduler(this.provider.delayed, this.logger);
    await this.scheduler.start();
  }

  private async status(record: ConsumerRecord): Promise<ConsumerStatus> {
    const [positions, membership] = await Promise.all([
      this.provider.positions.load(record.name),
      this.provider.membership.describe(record.name),
    ]);
    const owners = new Map(membership.owners.map((o) => [o.partition, o]));
    const withLag = await Promise.all(
      positions.map(async (p) => ({
        ...p,
        owner: owners.get(p.partition)?.member ?? null,
        revoking: owners.get(p.partition)?.revoking ?? false,
        lag: await this.provider.log.count({
          sequence: record.sequence,
          after: p.position,
          subjects: record.subjects,
          partition:
            record.partitions > 1 ? { index: p.partition, count: record.partitions } : undefined,
        }),
      })),
    );
    return {
      ...record,
      positions: withLag,
      lag: withLag.reduce((sum, p) => sum + p.lag, 0),
      generation: membership.generation,
      leader: membership.leader,
      members: membership.members,
    };
  }

  private startRetention(retention: ResolvedRetention): void {
    const store = this.retentionStore();
    this.retention = new RetentionPolicy(retention, (request) => store.prune(request), this.logger);
    this.retention.start();
  }

  private retentionStore(): RetentionStore {
    const store = this.provider.retention;
    if (store === undefined) {
      throw new UnsupportedError(`the ${this.provider.kind} provider cannot prune events`);
    }
    return store;
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError('this millrace instance is closed');
  }
}
