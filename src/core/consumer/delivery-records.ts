/**
 * A partition's delivery records in the DeliveryStore: loading those past
 * the position when its worker starts, and writing what follows an attempt
 * (a retry, a dead letter, a cancellation; a success removes the record).
 */
import type { DeliveryError, DeliveryRecord, DeliveryUpdate } from '../contracts/deliveries.js';
import type { Position } from '../position.js';
import type { Entry } from './delivery-window.js';
import type { Outcome } from './outcome.js';
import type { WorkerContext } from './worker-context.js';

/** How long to wait before recording a dead letter again after the store failed. */
export const RECORD_RETRY_MS = 500;

export class DeliveryRecords {
  /** Writes of delivery records queued or in flight. */
  private recording = 0;
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly context: WorkerContext) {}

  /** Writes are queued or in flight: the worker does not close before they end. */
  get busy(): boolean {
    return this.recording > 0;
  }

  /** Records the store holds for events past `position`; retries until loaded or stopped. */
  async load(position: Position): Promise<Map<string, DeliveryRecord>> {
    const { context } = this;
    const { deliveries, options } = context.env;
    for (;;) {
      try {
        const records = await deliveries.loadAfter(options.name, context.partition, position);
        return new Map(records.map((r) => [r.event.id, r]));
      } catch (error) {
        context.warn(error, 'could not load delivery records; retrying');
        if (context.stopped) return new Map();
        await context.wait(options.pollIntervalMs);
        if (context.stopped) return new Map();
      }
    }
  }

  /** The event succeeded: a record of its earlier failures goes. */
  completed(entry: Entry): void {
    if (entry.recorded) {
      this.record(() => this.context.env.deliveries.remove(this.consumer, [entry.event.id]));
    }
  }

  /** The event failed and is tried again after `outcome.delayMs`. */
  retrying(entry: Entry, outcome: Outcome & { kind: 'retry' }, replay: boolean): void {
    this.logRetry(entry, outcome);
    entry.state = 'retrying';
    const scheduleAt = new Date(Date.now() + outcome.delayMs);
    const update = this.update(entry, 'retryable', outcome.error, scheduleAt, replay);
    // For inspection, and so attempts count on after a restart: best effort.
    this.record(() => this.context.env.deliveries.save(this.consumer, [update]));
  }

  /** The event is dead-lettered or cancelled: `retire` runs once that is stored. */
  givenUp(
    entry: Entry,
    outcome: Outcome & { kind: 'discard' | 'cancel' },
    replay: boolean,
    retire: () => void,
  ): void {
    this.logGivenUp(entry, outcome);
    entry.state = 'finishing';
    const state = outcome.kind === 'cancel' ? 'cancelled' : 'discarded';
    const update = this.update(entry, state, outcome.error, null, replay);
    // The position may pass a dead letter only once it is stored: keep trying.
    this.record(async () => {
      await this.untilStored(() => this.context.env.deliveries.save(this.consumer, [update]));
      retire();
    });
  }

  private get consumer(): string {
    return this.context.scope.consumer;
  }

  /**
   * Delivery writes of a partition run one after another, so a record's
   * removal never overtakes its creation. They are rare: failures only.
   */
  private record(write: () => Promise<void>): void {
    this.recording++;
    this.writes = this.writes
      .then(write)
      .catch((error: unknown) => this.context.warn(error, 'could not update a delivery record'))
      .finally(() => {
        this.recording--;
        this.context.schedule();
      });
  }

  /** Retries a write until it holds; gives up (throws) only when the worker stops. */
  private async untilStored(write: () => Promise<void>): Promise<void> {
    for (;;) {
      try {
        return await write();
      } catch (error) {
        // A stopping worker leaves the event unretired: the position stays before it.
        if (this.context.stopped) throw error;
        this.context.warn(error, 'could not record a dead letter; retrying');
        await this.context.wait(RECORD_RETRY_MS);
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
      partition: this.context.partition,
      event: entry.event,
      state,
      attempts: entry.attempts,
      lastError: error,
      scheduleAt,
      replay,
    };
  }

  private logRetry(entry: Entry, outcome: Outcome & { kind: 'retry' }): void {
    this.context.env.logger.warn(
      { ...this.fields(entry), delayMs: outcome.delayMs, error: outcome.error.message },
      'handler failed; retrying',
    );
  }

  private logGivenUp(entry: Entry, outcome: Outcome & { kind: 'discard' | 'cancel' }): void {
    const message =
      outcome.kind === 'cancel' ? 'event cancelled by its handler' : 'event dead-lettered';
    this.context.env.logger[outcome.kind === 'cancel' ? 'info' : 'error'](
      { ...this.fields(entry), error: outcome.error.message },
      message,
    );
  }

  private fields(entry: Entry): Record<string, unknown> {
    return {
      consumer: this.consumer,
      partition: this.context.partition,
      position: entry.event.position,
      stream: entry.event.stream,
      attempt: entry.attempts,
    };
  }
}
