/**
 * Works one partition of one consumer. It reads pages after the partition's
 * position into a delivery window, starts what the ordering allows as
 * handler slots free up, retries failures after their backoff, records dead
 * letters and cancellations, and hands the low watermark to the committer.
 * Reading runs alongside handling (the next page arrives while this one is
 * handled), bounded by the window's size. On stop it starts nothing new,
 * lets running handlers finish, and leaves the position at the watermark.
 */
import type {
  DeliveryError,
  DeliveryRecord,
  DeliveryStore,
  DeliveryUpdate,
} from '../contracts/deliveries.js';
import type { LogStore, PartitionSlice, ReadPage } from '../contracts/log.js';
import type { PositionCommit, PositionStore } from '../contracts/positions.js';
import { isDecision, type Handler } from './handler.js';
import type { Event } from '../event.js';
import { FencedError } from '../errors.js';
import { errorFields, type Logger } from '../logger.js';
import { comparePositions, type Position } from '../position.js';
import { Attempt, type AttemptResult, type AttemptScope } from './attempt.js';
import { DeliveryWindow, entryFor, type Entry } from './delivery-window.js';
import type { HandlerSlots } from './handler-slots.js';
import type { ResolvedConsumerOptions } from './options.js';
import { decideOutcome, type Outcome } from './outcome.js';
import type { PositionCommitter } from './position-committer.js';

/** How often a member whose membership may have lapsed looks again. */
const LAPSED_CHECK_MS = 50;

/** How soon to read again when committed events wait behind an open transaction. */
const PENDING_RETRY_MS = [1, 2, 5, 10, 20, 50];

/**
 * Why a worker stops, as its stop signal's reason. `drain`: a graceful stop
 * or handover; before it ends, the worker handles the events it skipped past
 * (behind ones it already finished), so the next owner redoes nothing.
 * `abandon`: the partition is someone else's already; start nothing more.
 */
export const DRAIN = 'drain';
export const ABANDON = 'abandon';
export type StopReason = typeof DRAIN | typeof ABANDON;

/** How long to wait before recording a dead letter again after the store failed. */
const RECORD_RETRY_MS = 500;

export interface WorkerEnvironment {
  readonly options: ResolvedConsumerOptions<unknown>;
  readonly log: LogStore;
  readonly deliveries: DeliveryStore;
  readonly committer: PositionCommitter;
  /** For at-most-once claims and effectively-once handling, which commit on their own. */
  readonly positions: PositionStore;
  readonly logger: Logger;
  readonly member: string;
  /** False while this member's membership may have lapsed: it starts nothing until it is sure again. */
  readonly isLive: () => boolean;
  /**
   * A position this worker stored itself (an at-most-once claim, an
   * effectively-once commit) was refused: the partition is someone else's.
   */
  readonly onRefused: (refused: PositionCommit) => void;
  /** Aborted when running handlers must give up. */
  readonly handlerSignal: AbortSignal;
  /** Shared by the member's partitions; undefined: one handler per partition is the only bound. */
  readonly slots: HandlerSlots | undefined;
  readonly onHandled: (event: Event, partition: number) => void;
  readonly onFailed: (event: Event, partition: number, attempt: number, error: unknown) => void;
}

interface Running {
  readonly entry: Entry;
  readonly attempt: Attempt;
  /** A retried dead letter, behind the position: it does not hold the watermark. */
  readonly replay: boolean;
}

export class PartitionWorker {
  private readonly window: DeliveryWindow;
  private readonly slice: PartitionSlice | undefined;
  private readonly scope: AttemptScope;
  private readonly running = new Set<Running>();
  /** Retried dead letters handed over by the consumer, not yet started. */
  private readonly replays: Entry[] = [];
  private readonly replaying = new Set<string>();
  /** Records the store holds for events past the position, loaded once at start. */
  private known = new Map<string, DeliveryRecord>();
  private readAfter: Position;
  private readDue = true;
  private reading = false;
  private pendingRounds = 0;
  private timers = new Set<NodeJS.Timeout>();
  private pollTimer: NodeJS.Timeout | undefined;
  private lapseTimer: NodeJS.Timeout | undefined;
  private ackTimer: NodeJS.Timeout | undefined;
  /** Slots handed to this partition while it waited, not yet used. */
  private heldSlots = 0;
  private cancelSlotRequest: (() => void) | undefined;
  /** Writes of delivery records queued or in flight. */
  private recording = 0;
  private writes: Promise<void> = Promise.resolve();
  /** Records loaded: nothing is read or started before. */
  private loaded = false;
  private pumpQueued = false;
  /** The furthest position any attempt has started at: a drain fills the holes behind it. */
  private frontier: Position | undefined;
  private finish: (() => void) | undefined;
  /** Aborted to stop taking new events (stop, or the partition was taken away). */
  private readonly stopping = new AbortController();
  /** Stopping, but may still finish what it skipped past (a graceful stop or handover). */
  private draining = false;

  constructor(
    private readonly env: WorkerEnvironment,
    readonly partition: number,
    readonly generation: number,
    private position: Position,
  ) {
    const count = env.options.partitions;
    this.slice = count > 1 ? { index: partition, count } : undefined;
    this.window = new DeliveryWindow(env.options.ordering);
    this.readAfter = position;
    this.scope = {
      consumer: env.options.name,
      member: env.member,
      partition,
      generation,
      logger: env.logger,
      stopSignal: env.handlerSignal,
    };
  }

  /**
   * Starts nothing new from now on; with `drain`, first handles what it
   * skipped past. An `abandon` overrides a drain in progress: the partition
   * is someone else's now.
   */
  stop(how: StopReason): void {
    this.draining = how === DRAIN && (this.draining || !this.stopping.signal.aborted);
    this.stopping.abort(how);
    this.schedule();
  }

  /** Told to stop (it may still be finishing running handlers). */
  get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  /** Stopped by a drain that was not overridden: its position is still this member's to commit. */
  get drained(): boolean {
    return this.stopped && this.draining;
  }

  /** Events may have arrived (in streams with these hashes, if given): read now, not at the next poll. */
  notify(streamHashes?: readonly number[]): void {
    const slice = this.slice;
    if (slice && streamHashes && !streamHashes.some((hash) => hash % slice.count === slice.index)) {
      return;
    }
    this.readDue = true;
    this.schedule();
  }

  /** Retried dead letters of this partition, due now. */
  replay(records: readonly DeliveryRecord[]): void {
    for (const record of records) {
      if (this.replaying.has(record.event.id)) continue;
      this.replaying.add(record.event.id);
      this.replays.push({ ...entryFor(record.event, record), state: 'waiting' });
    }
    this.schedule();
  }

  /** Runs until stopped and drained. */
  async run(): Promise<void> {
    const finished = new Promise<void>((resolve) => (this.finish = resolve));
    this.known = await this.loadRecords();
    this.loaded = true;
    this.schedule();
    await finished;
  }

  private async loadRecords(): Promise<Map<string, DeliveryRecord>> {
    const { deliveries, options } = this.env;
    const stopSignal = this.stopping.signal;
    for (;;) {
      try {
        const records = await deliveries.loadAfter(options.name, this.partition, this.position);
        return new Map(records.map((r) => [r.event.id, r]));
      } catch (error) {
        this.warn(error, 'could not load delivery records; retrying');
        if (stopSignal.aborted) return new Map();
        await new Promise<void>((resolve) => this.later(resolve, options.pollIntervalMs));
        if (stopSignal.aborted) return new Map();
      }
    }
  }

  /** Runs the pump once, soon, however many changes asked for it. */
  private schedule(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    queueMicrotask(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.finish === undefined || !this.loaded) return;
    const stopSignal = this.stopping.signal;
    if (!stopSignal.aborted) {
      // The next page is asked for first, so it arrives while these are handled.
      this.readIfDue();
      this.startWhatMay(undefined);
    } else if (this.draining && this.frontier !== undefined) {
      this.startWhatMay(this.frontier);
    }
    this.advance();
    const idle = this.running.size === 0 && this.recording === 0 && !this.reading;
    if (stopSignal.aborted && idle && this.cancelSlotRequest === undefined) this.close();
  }

  /** Starts what the ordering allows; with `below`, only events before that position (a drain). */
  private startWhatMay(below: Position | undefined): void {
    if (!this.env.isLive()) {
      this.lapseTimer ??= setTimeout(() => {
        this.lapseTimer = undefined;
        this.schedule();
      }, LAPSED_CHECK_MS);
      return;
    }
    // Handlers that finish at once (synchronous ones) free their turn at
    // once: go round again until nothing more may start.
    for (let progressed = true; progressed;) {
      progressed = false;
      while (below === undefined && this.replays.length > 0 && this.takeSlot()) {
        progressed = this.start(this.replays.shift() as Entry, true) || progressed;
      }
      if (this.replays.length > 0 && below === undefined) break;
      const beyond: Entry[] = [];
      for (const entry of this.window.startable()) {
        if (below !== undefined && comparePositions(entry.event.position, below) >= 0) {
          beyond.push(entry);
          continue;
        }
        if (!this.takeSlot()) {
          this.window.putBack(entry);
          break;
        }
        progressed = this.start(entry, false) || progressed;
      }
      for (const entry of beyond.reverse()) this.window.putBack(entry);
    }
    this.giveBackSlots();
  }

  /** A slot for one more handler; if none is free, asks to be handed the next one released. */
  private takeSlot(): boolean {
    const { slots } = this.env;
    if (slots === undefined) return true;
    if (this.heldSlots > 0) {
      this.heldSlots--;
      return true;
    }
    if (slots.tryAcquire()) return true;
    this.cancelSlotRequest ??= slots.whenFree(() => {
      this.cancelSlotRequest = undefined;
      this.heldSlots++;
      this.schedule();
    });
    return false;
  }

  private giveBackSlots(): void {
    for (; this.heldSlots > 0; this.heldSlots--) this.env.slots?.release();
  }

  /** Starts an attempt; true if it finished at once. */
  private start(entry: Entry, replay: boolean): boolean {
    entry.state = 'running';
    entry.attempts++;
    if (
      !replay &&
      (this.frontier === undefined || comparePositions(entry.event.position, this.frontier) > 0)
    ) {
      this.frontier = entry.event.position;
    }
    const attempt = new Attempt(this.scope, entry.attempts);
    const run: Running = { entry, attempt, replay };
    const handler = this.commitsItself(run) ? this.transactional(entry) : this.env.options.handler;
    const result = attempt.run(handler, entry.event);
    if (!(result instanceof Promise)) {
      this.finished(run, result);
      return true;
    }
    this.running.add(run);
    this.watchAckTimeout();
    void result.then((settled) => {
      this.running.delete(run);
      this.finished(run, settled);
      this.pump();
    });
    return false;
  }

  private commitsItself(run: Running): boolean {
    return this.env.options.delivery === 'effectively-once' && !run.replay;
  }

  /**
   * Effectively once: the handler runs in the transaction that stores its
   * event's position, and writes through `context.transaction`; a throw or a
   * decision rolls both back.
   */
  private transactional(entry: Entry): Handler<unknown> {
    const { positions, options, member } = this.env;
    const commitWithin = positions.commitWithin?.bind(positions);
    if (commitWithin === undefined) return options.handler;
    const commit = {
      partition: this.partition,
      position: entry.event.position,
      generation: this.generation,
    };
    return (event, context) =>
      commitWithin(this.scope.consumer, member, commit, async (transaction) => {
        (context as { transaction: unknown }).transaction = transaction;
        const value = await options.handler(event, context);
        return { commit: !isDecision(value), value };
      }) as Promise<void>;
  }

  private finished(run: Running, result: AttemptResult): void {
    const { entry } = run;
    this.env.slots?.release();
    if (!result.ok && isRefusal(result.error) && this.commitsItself(run)) {
      // Its effectively-once commit was refused: the handler's writes rolled
      // back, and the event is the new owner's. Not a failure: the entry
      // stays unfinished (nothing behind it starts) while this worker stops.
      this.env.onRefused({
        partition: this.partition,
        position: entry.event.position,
        generation: this.generation,
      });
      return;
    }
    const outcome = decideOutcome(result, entry.attempts, this.env.options);
    if (outcome.kind === 'completed') this.env.onHandled(entry.event, this.partition);
    else if (!result.ok)
      this.env.onFailed(entry.event, this.partition, entry.attempts, result.error);
    this.settle(run, outcome);
  }

  private settle({ entry, replay }: Running, outcome: Outcome): void {
    switch (outcome.kind) {
      case 'completed':
        if (entry.recorded) {
          this.record(() => this.env.deliveries.remove(this.scope.consumer, [entry.event.id]));
        }
        this.retire(entry, replay);
        return;
      case 'retry': {
        this.logRetry(entry, outcome);
        entry.state = 'retrying';
        const scheduleAt = new Date(Date.now() + outcome.delayMs);
        const update = this.update(entry, 'retryable', outcome.error, scheduleAt, replay);
        // For inspection, and so attempts count on after a restart: best effort.
        this.record(() => this.env.deliveries.save(this.scope.consumer, [update]));
        if (replay) {
          // Its next attempt comes from the store when due, like any replay.
          this.retire(entry, replay);
          return;
        }
        this.later(() => {
          this.window.due(entry);
          this.schedule();
        }, outcome.delayMs);
        return;
      }
      case 'discard':
      case 'cancel': {
        this.logGivenUp(entry, outcome);
        entry.state = 'finishing';
        const state = outcome.kind === 'cancel' ? 'cancelled' : 'discarded';
        const update = this.update(entry, state, outcome.error, null, replay);
        // The position may pass a dead letter only once it is stored: keep trying.
        this.record(async () => {
          await this.untilStored(() => this.env.deliveries.save(this.scope.consumer, [update]));
          this.retire(entry, replay);
        });
      }
    }
  }

  /**
   * Delivery writes of a partition run one after another, so a record's
   * removal never overtakes its creation. They are rare: failures only.
   */
  private record(write: () => Promise<void>): void {
    this.recording++;
    this.writes = this.writes
      .then(write)
      .catch((error: unknown) => this.warn(error, 'could not update a delivery record'))
      .finally(() => {
        this.recording--;
        this.schedule();
      });
  }

  /** Retries a write until it holds; gives up (throws) only when the worker stops. */
  private async untilStored(write: () => Promise<void>): Promise<void> {
    for (;;) {
      try {
        return await write();
      } catch (error) {
        // A stopping worker leaves the event unretired: the position stays before it.
        if (this.stopped) throw error;
        this.warn(error, 'could not record a dead letter; retrying');
        await new Promise<void>((resolve) => this.later(resolve, RECORD_RETRY_MS));
      }
    }
  }

  private update(
    entry: Entry,
    state: DeliveryUpdate['state'],
    error: DeliveryError,
    scheduleAt: Date | null,
    replay: boolean,
  ): DeliveryUpdate {
    entry.recorded = true;
    return {
      partition: this.partition,
      event: entry.event,
      state,
      attempts: entry.attempts,
      lastError: error,
      scheduleAt,
      replay,
    };
  }

  private retire(entry: Entry, replay: boolean): void {
    if (replay) {
      entry.state = 'done';
      this.replaying.delete(entry.event.id);
    } else {
      this.window.retire(entry);
    }
  }

  /** Hands the low watermark to the committer. */
  private advance(): void {
    const { position, count } = this.window.popRetired();
    if (position !== undefined) this.position = position;
    // Every event read is retired: the position may go as far as the read went.
    if (this.window.size === 0 && comparePositions(this.readAfter, this.position) > 0) {
      this.position = this.readAfter;
    } else if (position === undefined) {
      return;
    }
    // At most once, the position was stored before the page was handled.
    if (this.env.options.delivery === 'at-most-once') return;
    this.env.committer.advance(this.partition, this.position, this.generation, count);
  }

  private readIfDue(): void {
    if (!this.readDue || this.reading) return;
    if (this.window.size >= this.maxWindow()) return;
    this.readDue = false;
    this.reading = true;
    const { options, log } = this.env;
    log
      .read({
        sequence: options.sequence,
        after: this.readAfter,
        limit: options.batchSize,
        subjects: options.subjects,
        partition: this.slice,
      })
      .then(
        (page) =>
          this.env.options.delivery === 'at-most-once' && page.events.length > 0
            ? this.claimThenTake(page)
            : this.took(page),
        (error: unknown) => {
          this.warn(error, 'read failed; retrying');
          this.readLater(options.pollIntervalMs);
        },
      )
      .finally(() => {
        this.reading = false;
        this.schedule();
      });
  }

  /**
   * At most once: the position passes the whole page, stored, before any of
   * it is handled; a crash then loses what was not handled, and nothing is
   * ever handled twice. A page that cannot be claimed is not handled.
   */
  private async claimThenTake(page: ReadPage): Promise<void> {
    const claim = { partition: this.partition, position: page.next, generation: this.generation };
    for (;;) {
      if (this.stopped || !this.env.isLive()) return this.readLater(0);
      try {
        await this.env.positions.commit(this.scope.consumer, this.env.member, [claim]);
        break;
      } catch (error) {
        if (isRefusal(error)) {
          this.env.onRefused(claim);
          return this.readLater(0);
        }
        this.warn(error, 'could not claim a page (at-most-once); it waits');
        await new Promise<void>((resolve) => this.later(resolve, RECORD_RETRY_MS));
      }
    }
    this.took(page);
  }

  private took(page: ReadPage): void {
    for (const event of page.events) {
      this.window.add(entryFor(event, this.known.get(event.id)));
    }
    if (page.events.length > 0) this.pendingRounds = 0;
    this.readAfter = page.next;
    if (page.hasMore) {
      this.readDue = true;
    } else if (page.longPoll === true) {
      this.pendingRounds = 0;
      this.readLater(0);
    } else if (page.pending) {
      const delay = PENDING_RETRY_MS[Math.min(this.pendingRounds++, PENDING_RETRY_MS.length - 1)];
      this.readLater(delay ?? 50);
    } else {
      this.pendingRounds = 0;
      this.readLater(this.env.options.pollIntervalMs);
    }
  }

  /** The next read at the latest in `ms` (a wake-up makes it sooner). */
  private readLater(ms: number): void {
    if (this.pollTimer !== undefined) clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      this.readDue = true;
      this.schedule();
    }, ms);
  }

  /** Read ahead at most this far past the watermark: a stuck event holds back memory, not just position. */
  private maxWindow(): number {
    return Math.max(2 * this.env.options.batchSize, 1000);
  }

  private watchAckTimeout(): void {
    const timeoutMs = this.env.options.ackTimeoutMs;
    if (timeoutMs === 0 || this.ackTimer !== undefined) return;
    const every = Math.max(10, Math.min(1000, Math.floor(timeoutMs / 4)));
    this.ackTimer = setInterval(() => {
      const now = Date.now();
      for (const run of this.running) {
        if (now - run.attempt.startedAt >= timeoutMs) run.attempt.timeOut(timeoutMs);
      }
      if (this.running.size === 0) {
        clearInterval(this.ackTimer);
        this.ackTimer = undefined;
      }
    }, every);
  }

  private later(fn: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const timer of [this.pollTimer, this.lapseTimer]) {
      if (timer !== undefined) clearTimeout(timer);
    }
    if (this.ackTimer !== undefined) clearInterval(this.ackTimer);
    this.cancelSlotRequest?.();
    this.giveBackSlots();
    const finish = this.finish;
    this.finish = undefined;
    finish?.();
  }

  private logRetry(entry: Entry, outcome: Outcome & { kind: 'retry' }): void {
    this.env.logger.warn(
      { ...this.fields(entry), delayMs: outcome.delayMs, error: outcome.error.message },
      'handler failed; retrying',
    );
  }

  private logGivenUp(entry: Entry, outcome: Outcome & { kind: 'discard' | 'cancel' }): void {
    const message =
      outcome.kind === 'cancel' ? 'event cancelled by its handler' : 'event dead-lettered';
    this.env.logger[outcome.kind === 'cancel' ? 'info' : 'error'](
      { ...this.fields(entry), error: outcome.error.message },
      message,
    );
  }

  private fields(entry: Entry): Record<string, unknown> {
    return {
      consumer: this.scope.consumer,
      partition: this.partition,
      position: entry.event.position,
      stream: entry.event.stream,
      attempt: entry.attempts,
    };
  }

  private warn(error: unknown, message: string): void {
    this.env.logger.warn(
      { consumer: this.scope.consumer, partition: this.partition, ...errorFields(error) },
      message,
    );
  }
}

/** A commit refused because the partition is no longer this member's under this generation. */
function isRefusal(error: unknown): boolean {
  return error instanceof FencedError && error.reason === 'stale_generation';
}
