/**
 * Works one partition of one consumer: reads a page after the partition's
 * position, handles its events in order, records progress with the
 * committer, and waits for a wake-up or the poll interval when caught up.
 * The next page is fetched while the current one is handled.
 */
import type { LogStore, PartitionSlice, ReadPage } from '../contracts/log.js';
import type { Event } from '../event.js';
import { errorFields, type Logger } from '../logger.js';
import type { Position } from '../position.js';
import { backoffDelay } from './backoff.js';
import type { HandlerContext } from './handler.js';
import type { HandlerSlots } from './handler-slots.js';
import type { ResolvedConsumerOptions } from './options.js';
import type { PositionCommitter } from './position-committer.js';
import { sleep } from './sleep.js';

/** How often a member whose membership may have lapsed looks again. */
const LAPSED_CHECK_MS = 50;

/** How soon to read again when committed events wait behind an open transaction. */
const PENDING_RETRY_MS = [1, 2, 5, 10, 20, 50];

export interface WorkerEnvironment {
  readonly options: ResolvedConsumerOptions<unknown>;
  readonly log: LogStore;
  readonly committer: PositionCommitter;
  readonly logger: Logger;
  readonly member: string;
  /** False while this member's membership may have lapsed: it starts nothing until it is sure again. */
  readonly isLive: () => boolean;
  /** Aborted to stop taking new events (stop, or the partition was taken away). */
  readonly stopSignal: AbortSignal;
  /** Aborted when running handlers must give up. */
  readonly handlerSignal: AbortSignal;
  /** Shared by the member's partitions when its concurrency is bounded. */
  readonly slots: HandlerSlots | undefined;
  readonly onHandled: (event: Event, partition: number) => void;
  readonly onFailed: (event: Event, partition: number, attempt: number, error: unknown) => void;
}

export class PartitionWorker {
  private woken = false;
  private wake: (() => void) | undefined;
  private readonly slice: PartitionSlice | undefined;

  constructor(
    private readonly env: WorkerEnvironment,
    readonly partition: number,
    readonly generation: number,
    private position: Position,
  ) {
    const count = env.options.partitions;
    this.slice = count > 1 ? { index: partition, count } : undefined;
  }

  /** Events may have arrived (in streams with these hashes, if given): read now, not at the next poll. */
  notify(streamHashes?: readonly number[]): void {
    const slice = this.slice;
    if (slice && streamHashes && !streamHashes.some((hash) => hash % slice.count === slice.index)) {
      return;
    }
    this.woken = true;
    this.wake?.();
  }

  async run(): Promise<void> {
    const { stopSignal } = this.env;
    let pendingRounds = 0;
    let page = await this.readOrNull(this.position);
    while (!stopSignal.aborted) {
      if (page === null) {
        await this.idle(this.env.options.pollIntervalMs);
        page = await this.readOrNull(this.position);
        continue;
      }
      const prefetch = page.hasMore ? this.read(page.next) : undefined;
      prefetch?.catch(() => undefined);
      const finished = await this.handlePage(page);
      if (!finished) {
        await prefetch?.catch(() => undefined);
        return;
      }
      if (prefetch) {
        page = await prefetch.catch((error: unknown) => this.readFailed(error));
        continue;
      }
      if (page.events.length > 0) pendingRounds = 0;
      if (page.pending) {
        await this.idle(
          PENDING_RETRY_MS[Math.min(pendingRounds++, PENDING_RETRY_MS.length - 1)] ?? 50,
        );
      } else {
        pendingRounds = 0;
        await this.idle(this.env.options.pollIntervalMs);
      }
      page = await this.readOrNull(this.position);
    }
  }

  /** Handles every event of the page; false if stopped part-way. */
  private async handlePage(page: ReadPage): Promise<boolean> {
    for (const event of page.events) {
      if (!(await this.untilLive())) return false;
      if (!(await this.handle(event))) return false;
      this.position = event.position;
      this.env.committer.advance(this.partition, event.position, this.generation, 1);
    }
    this.position = page.next;
    this.env.committer.advance(this.partition, page.next, this.generation, 0);
    return true;
  }

  /**
   * Waits while the membership may have lapsed (a frozen process that just
   * woke up must not act on partitions given away meanwhile); false if
   * stopped. A lapsed member is told by its next heartbeat and stops.
   */
  private async untilLive(): Promise<boolean> {
    while (!this.env.isLive()) {
      if (this.env.stopSignal.aborted) return false;
      await sleep(LAPSED_CHECK_MS, this.env.stopSignal);
    }
    return !this.env.stopSignal.aborted;
  }

  /** Runs the handler until it succeeds; false if stopped while retrying. */
  private async handle(event: Event): Promise<boolean> {
    const { options, logger, stopSignal, slots } = this.env;
    for (let attempt = 1; ; attempt++) {
      const context: HandlerContext = {
        consumer: options.name,
        member: this.env.member,
        partition: this.partition,
        generation: this.generation,
        attempt,
        signal: this.env.handlerSignal,
        logger,
      };
      if (slots && !(await slots.acquire(stopSignal))) return false;
      let failure: { error: unknown } | undefined;
      try {
        await options.handler(event, context);
      } catch (error) {
        failure = { error };
      } finally {
        // Not held through a retry's backoff: other partitions work meanwhile.
        slots?.release();
      }
      if (failure === undefined) {
        this.env.onHandled(event, this.partition);
        return true;
      }
      this.env.onFailed(event, this.partition, attempt, failure.error);
      const fields = {
        consumer: options.name,
        partition: this.partition,
        position: event.position,
        stream: event.stream,
        attempt,
        ...errorFields(failure.error),
      };
      if (attempt >= options.maxAttempts) {
        logger.error(fields, 'handler keeps failing; the partition waits on this event');
      } else {
        logger.warn(fields, 'handler failed; retrying');
      }
      await sleep(backoffDelay(options.retry, attempt), stopSignal);
      if (stopSignal.aborted) return false;
    }
  }

  private read(after: Position): Promise<ReadPage> {
    const { options, log } = this.env;
    this.woken = false;
    return log.read({
      sequence: options.sequence,
      after,
      limit: options.batchSize,
      subjects: options.subjects,
      partition: this.slice,
    });
  }

  /** A read that failed is logged and retried after the poll interval (page null). */
  private async readOrNull(after: Position): Promise<ReadPage | null> {
    if (this.env.stopSignal.aborted) return null;
    try {
      return await this.read(after);
    } catch (error) {
      return this.readFailed(error);
    }
  }

  private readFailed(error: unknown): null {
    this.env.logger.warn(
      { consumer: this.env.options.name, partition: this.partition, ...errorFields(error) },
      'read failed; retrying',
    );
    return null;
  }

  /** Waits for a wake-up, `ms`, or stop, whichever comes first. */
  private async idle(ms: number): Promise<void> {
    if (this.woken || this.env.stopSignal.aborted) return;
    const woken = new AbortController();
    this.wake = () => woken.abort();
    const stop = () => woken.abort();
    this.env.stopSignal.addEventListener('abort', stop, { once: true });
    try {
      await sleep(ms, woken.signal);
    } finally {
      this.wake = undefined;
      this.env.stopSignal.removeEventListener('abort', stop);
    }
  }
}
