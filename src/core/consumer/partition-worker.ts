/**
 * Works one partition of one consumer. It reads pages after the partition's
 * position into a delivery window, starts what the ordering allows as
 * handler slots free up, retries failures after their backoff, records dead
 * letters and cancellations, and hands the low watermark to the committer.
 * Reading runs alongside handling (the next page arrives while this one is
 * handled), bounded by the window's size. On stop it starts nothing new,
 * lets running handlers finish, and leaves the position at the watermark.
 */
import type { DeliveryRecord } from '../contracts/deliveries.js';
import type { PartitionSlice, ReadPage } from '../contracts/log.js';
import { comparePositions, type Position } from '../position.js';
import { AckWatchdog } from './ack-watchdog.js';
import { Attempt, type AttemptResult } from './attempt.js';
import { DeliveryRecords } from './delivery-records.js';
import { DeliveryWindow, entryFor, type Entry } from './delivery-window.js';
import { HAND_BACK } from './hand-back.js';
import { decideOutcome, type Outcome } from './outcome.js';
import { PartitionSlots } from './partition-slots.js';
import { claimPage, handlerFor, refusedItsCommit } from './self-commit.js';
import { WorkerContext, type WorkerEnvironment } from './worker-context.js';

export type { WorkerEnvironment } from './worker-context.js';

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

interface Running {
  readonly entry: Entry;
  readonly attempt: Attempt;
  /** A retried dead letter, behind the position: it does not hold the watermark. */
  readonly replay: boolean;
}

export class PartitionWorker {
  private readonly window: DeliveryWindow;
  private readonly slice: PartitionSlice | undefined;
  private readonly context: WorkerContext;
  private readonly records: DeliveryRecords;
  private readonly slots: PartitionSlots;
  private readonly watchdog: AckWatchdog;
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
  private pollTimer: NodeJS.Timeout | undefined;
  private lapseTimer: NodeJS.Timeout | undefined;
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
    const schedule = () => this.schedule();
    this.context = new WorkerContext(env, partition, generation, this.stopping.signal, schedule);
    this.records = new DeliveryRecords(this.context);
    this.slots = new PartitionSlots(env.slots, schedule);
    this.watchdog = new AckWatchdog(env.options.ackTimeoutMs, this.running);
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
    this.known = await this.records.load(this.position);
    this.loaded = true;
    this.schedule();
    await finished;
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
    // What just retired may have made room in a full window: a read skipped
    // above for want of room is asked for now, or nothing would ever ask again.
    if (!stopSignal.aborted) this.readIfDue();
    const idle = this.running.size === 0 && !this.records.busy && !this.reading;
    if (stopSignal.aborted && idle && !this.slots.waiting) this.close();
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
      while (below === undefined && this.replays.length > 0 && this.slots.take()) {
        progressed = this.start(this.replays.shift() as Entry, true) || progressed;
      }
      if (this.replays.length > 0 && below === undefined) break;
      const beyond: Entry[] = [];
      for (const entry of this.window.startable()) {
        if (below !== undefined && comparePositions(entry.event.position, below) >= 0) {
          beyond.push(entry);
          continue;
        }
        if (!this.slots.take()) {
          this.window.putBack(entry);
          break;
        }
        progressed = this.start(entry, false) || progressed;
      }
      for (const entry of beyond.reverse()) this.window.putBack(entry);
    }
    this.slots.giveBack();
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
    const attempt = new Attempt(this.context.scope, entry.attempts);
    const run: Running = { entry, attempt, replay };
    const result = attempt.run(handlerFor(this.context, entry, replay), entry.event, (settled) => {
      this.running.delete(run);
      this.finished(run, settled);
      // Handlers that settle together (a worker over HTTP commits hundreds at
      // once) share one pump: each pump looks at every stream in the window.
      this.schedule();
    });
    if (result !== undefined) {
      this.finished(run, result);
      return true;
    }
    this.running.add(run);
    this.watchdog.watch();
    return false;
  }

  private finished(run: Running, result: AttemptResult): void {
    const { entry } = run;
    this.slots.release();
    // Given back unhandled (see HAND_BACK): it stays unfinished, for the next owner.
    if (result.ok && result.value === HAND_BACK) return;
    if (refusedItsCommit(this.context, entry, run.replay, result)) {
      // Its effectively-once commit was refused: the handler's writes rolled
      // back, and the event is the new owner's. Not a failure: the entry
      // stays unfinished (nothing behind it starts) while this worker stops.
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
        this.records.completed(entry);
        this.retire(entry, replay);
        return;
      case 'retry':
        this.records.retrying(entry, outcome, replay);
        if (replay) {
          // Its next attempt comes from the store when due, like any replay.
          this.retire(entry, replay);
          return;
        }
        this.context.later(() => {
          this.window.due(entry);
          this.schedule();
        }, outcome.delayMs);
        return;
      case 'discard':
      case 'cancel':
        this.records.givenUp(entry, outcome, replay, () => this.retire(entry, replay));
    }
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
        wait: true,
      })
      .then(
        (page) =>
          this.env.options.delivery === 'at-most-once' && page.events.length > 0
            ? this.claimThenTake(page)
            : this.took(page),
        (error: unknown) => {
          this.context.warn(error, 'read failed; retrying');
          this.readLater(options.pollIntervalMs);
        },
      )
      .finally(() => {
        this.reading = false;
        this.schedule();
      });
  }

  /** At most once: the page is handled only once its claim is stored. */
  private async claimThenTake(page: ReadPage): Promise<void> {
    if (await claimPage(this.context, page)) this.took(page);
    else this.readLater(0);
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

  private close(): void {
    this.context.clearTimers();
    for (const timer of [this.pollTimer, this.lapseTimer]) {
      if (timer !== undefined) clearTimeout(timer);
    }
    this.watchdog.stop();
    this.slots.close();
    const finish = this.finish;
    this.finish = undefined;
    finish?.();
  }
}
