/**
 * A member of a consumer hosted by this server for a worker that calls over
 * HTTP. It is a library member (millrace's allocator gives it partitions,
 * with the same ordering, retries, dead letters and fencing); its handler
 * does not handle: it parks each event as a delivery until the worker
 * fetches it, and settles with what the worker commits. The member's
 * concurrency is the worker's in-flight cap, so a stream's next event is
 * parked only once the one before it is committed (with `stream` ordering).
 *
 * A delivery's deadline runs from its fetch, not from its parking: past it
 * the attempt fails and the event gets its next attempt. A worker silent for
 * its session timeout loses the member; a stop or a lost partition gives the
 * deliveries not committed back unhandled (HAND_BACK), so the next owner
 * gets them and no attempt is counted.
 */
import type { MemberInfo } from '../../core/contracts/membership.js';
import type { Consumer } from '../../core/consumer/consumer.js';
import { HAND_BACK, type HandBack } from '../../core/consumer/hand-back.js';
import type { Decision, HandlerContext } from '../../core/consumer/handler.js';
import { AckTimeoutError } from '../../core/errors.js';
import type { Event } from '../../core/event.js';
import type { JsonValue } from '../../core/json.js';
import { deliveryBytes, parkedDelivery } from '../wire/fetch-body.js';
import { DeadlineGroup } from './deadline-group.js';
import { DeliveryIds, type DeliveryStatus } from './delivery-ids.js';
import { FetchWaiters } from './fetch-waiters.js';
import { Settlement } from './settlement.js';

export interface HostedMemberTerms {
  /** A delivery not committed this long after its fetch gets its next attempt. */
  readonly ackTimeoutMs: number;
  /** Deliveries parked or fetched and not yet committed, at most. */
  readonly maxInFlight: number;
  /** A worker silent this long loses the member. */
  readonly sessionTimeoutMs: number;
}

/** What a worker commits for one delivery. */
export type DeliveryResult =
  | { readonly outcome: 'ok' }
  | { readonly outcome: 'retry'; readonly afterMs: number; readonly reason?: string | undefined }
  | { readonly outcome: 'dead-letter'; readonly reason?: string | undefined }
  | { readonly outcome: 'cancel'; readonly reason?: string | undefined };

export interface FetchedDelivery {
  readonly id: string;
  readonly partition: number;
  readonly attempt: number;
  readonly deadline: Date;
  readonly event: Event;
  /** The delivery's JSON but its deadline, encoded once when it was parked (see wire/fetch-body.ts). */
  readonly parked: Buffer;
}

export interface FetchAnswer {
  readonly deliveries: readonly FetchedDelivery[];
  /** Deliveries parked or fetched and not yet committed, these included. */
  readonly inFlight: number;
  /** The member holds its cap of deliveries, all fetched: commit some before more come. */
  readonly atCapacity: boolean;
}

interface Delivery {
  readonly id: string;
  readonly event: Event;
  readonly partition: number;
  readonly attempt: number;
  /** Its JSON but the deadline: its size counts against a fetch's `maxBytes`, and the answer carries it as is. */
  readonly parked: Buffer;
  readonly bytes: number;
  /** What the library member waits on: settled by the commit, the deadline or a hand-back. */
  readonly settlement: Settlement<undefined | Decision | HandBack>;
  fetched: boolean;
  deadline: number;
  /** The fetch's shared deadline, or a timer of its own once extended. */
  group: DeadlineGroup<Delivery> | undefined;
  timer: NodeJS.Timeout | undefined;
  /** Aborted when the partition's worker is told to stop. */
  readonly partitionStop: AbortSignal;
}

/**
 * `stopped` by its worker, `expired` (its worker silent), `closed` with the
 * server (another server takes it on the worker's next call), `moved` (this
 * server lost its lease and another took it over).
 */
export type MemberEnd = 'stopped' | 'expired' | 'closed' | 'moved';

export class HostedMember {
  private readonly deliveries = new Map<string, Delivery>();
  /** Parked and not fetched yet, oldest first. */
  private readonly ready: Delivery[] = [];
  private readonly waiters = new FetchWaiters();
  private readonly ids: DeliveryIds;
  /** Held deliveries by their partition worker's stop signal. */
  private readonly byPartitionStop = new WeakMap<AbortSignal, Set<Delivery>>();
  private idleTimer: NodeJS.Timeout | undefined;
  private ending: Promise<void> | undefined;
  private endedAs: MemberEnd | undefined;
  private consumer: Consumer | undefined;

  constructor(
    /** The member's id over HTTP, the same on whichever server hosts it. */
    readonly id: string,
    /** Its identity among the consumer's members: new each time a server takes it on. */
    readonly info: MemberInfo,
    readonly consumerName: string,
    readonly terms: HostedMemberTerms,
    private readonly onEnd: (member: HostedMember, end: MemberEnd) => Promise<void>,
    /** It ran on another server before: deliveries handed out there are fenced here. */
    takenOver = false,
  ) {
    this.ids = new DeliveryIds(takenOver);
  }

  /** How the member ended, if it did. */
  get ended(): MemberEnd | undefined {
    return this.endedAs;
  }

  /** The handler of the hosted library member (see Settlement for what it returns). */
  readonly handler = (
    event: Event<JsonValue>,
    context: HandlerContext,
  ): HandBack | Settlement<undefined | Decision | HandBack> => {
    const partitionStop = context.partitionStop;
    // Stopping, or the partition is leaving: nothing more is parked for the worker.
    if (this.ending !== undefined || partitionStop.aborted) return HAND_BACK;
    const id = this.ids.next(context.partition, context.generation, context.attempt, event.id);
    const parked = parkedDelivery(id, context.partition, context.attempt, event);
    const delivery: Delivery = {
      id,
      event,
      partition: context.partition,
      attempt: context.attempt,
      parked,
      bytes: deliveryBytes(parked),
      settlement: new Settlement(),
      fetched: false,
      deadline: 0,
      group: undefined,
      timer: undefined,
      partitionStop,
    };
    this.watch(delivery);
    this.deliveries.set(delivery.id, delivery);
    this.ready.push(delivery);
    this.waiters.wake();
    return delivery.settlement;
  };

  /** Starts the member; resolves once its first assignment runs. */
  async start(consumer: Consumer): Promise<void> {
    this.consumer = consumer;
    this.touch();
    await consumer.start();
  }

  get partitions(): number[] {
    return this.consumer?.partitions ?? [];
  }

  get inFlight(): number {
    return this.deliveries.size;
  }

  /** Any call from the worker: it is alive for another session timeout. */
  touch(): void {
    if (this.ending !== undefined) return;
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      // A long-polling fetch is a call in progress: the worker is there.
      if (this.waiters.size > 0) this.touch();
      else void this.end('expired');
    }, this.terms.sessionTimeoutMs);
    this.idleTimer.unref();
  }

  /**
   * Up to `max` parked deliveries, at least one whatever its size and then
   * up to `maxBytes`; waits up to `waitMs` for the first one.
   */
  async fetch(
    max: number,
    maxBytes: number,
    waitMs: number,
    signal: AbortSignal,
  ): Promise<FetchAnswer> {
    this.touch();
    if (this.ready.length === 0 && waitMs > 0 && this.ending === undefined) {
      await this.waiters.wait(waitMs, signal);
    }
    const taken: FetchedDelivery[] = [];
    let bytes = 0;
    let count = 0;
    while (count < max && count < this.ready.length && this.ending === undefined) {
      const next = this.ready[count] as Delivery;
      if (count > 0 && bytes + next.bytes > maxBytes) break;
      bytes += next.bytes;
      count++;
    }
    // Taken off the front at once: shifting one by one moves the whole queue each time.
    const handed = this.ready.splice(0, count);
    const deadline = Date.now() + this.terms.ackTimeoutMs;
    const group =
      count === 0 ? undefined : new DeadlineGroup(deadline, handed, (d) => this.expire(d));
    // One Date for the fetch: its deliveries share the deadline.
    const deadlineDate = new Date(deadline);
    for (const delivery of handed) taken.push(this.handOut(delivery, deadlineDate, group));
    this.touch();
    const inFlight = this.deliveries.size;
    return {
      deliveries: taken,
      inFlight,
      atCapacity: inFlight >= this.terms.maxInFlight && this.ready.length === 0,
    };
  }

  /** Applies one result: `applied`, or why not. */
  commit(id: string, result: DeliveryResult): DeliveryStatus {
    const delivery = this.fetchedDelivery(id);
    if (delivery === undefined) return this.ids.statusOf(id);
    this.forget(delivery);
    delivery.settlement.resolve(decisionOf(result));
    return 'applied';
  }

  /** Moves a fetched delivery's deadline to `byMs` from now. */
  extend(id: string, byMs: number): DeliveryStatus {
    const delivery = this.fetchedDelivery(id);
    if (delivery === undefined) return this.ids.statusOf(id);
    this.arm(delivery, byMs);
    return 'applied';
  }

  /**
   * Ends the member: what is not committed goes back unhandled, then the
   * library member drains, commits its positions and leaves, so the
   * partitions move on at once.
   */
  end(how: MemberEnd): Promise<void> {
    this.ending ??= (async () => {
      this.endedAs = how;
      if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
      for (const delivery of [...this.deliveries.values()]) this.handBack(delivery, 'fenced');
      this.waiters.wake();
      await this.consumer?.stop();
      await this.onEnd(this, how);
    })();
    return this.ending;
  }

  /** One listener per partition worker, however many of its deliveries are held. */
  private watch(delivery: Delivery): void {
    const signal = delivery.partitionStop;
    let held = this.byPartitionStop.get(signal);
    if (held === undefined) {
      held = new Set();
      this.byPartitionStop.set(signal, held);
      const deliveries = held;
      signal.addEventListener(
        'abort',
        () => {
          for (const one of [...deliveries]) this.partitionStopping(one, signal.reason);
        },
        { once: true },
      );
    }
    held.add(delivery);
  }

  /**
   * The partition's worker was told to stop. Taken away (`abandon`): the
   * delivery is the next owner's, and a commit of it is fenced. Handed over
   * or stopping (`drain`): one not fetched yet goes back at once; a fetched
   * one may still be committed, within its deadline, before the partition moves.
   */
  private partitionStopping(delivery: Delivery, reason: unknown): void {
    if (this.deliveries.get(delivery.id) !== delivery) return;
    if (reason === 'drain' && delivery.fetched) return;
    this.handBack(delivery, 'fenced');
  }

  private handOut(
    delivery: Delivery,
    deadline: Date,
    group: DeadlineGroup<Delivery> | undefined,
  ): FetchedDelivery {
    delivery.fetched = true;
    delivery.deadline = deadline.getTime();
    delivery.group = group;
    return {
      id: delivery.id,
      partition: delivery.partition,
      attempt: delivery.attempt,
      deadline,
      event: delivery.event,
      parked: delivery.parked,
    };
  }

  private arm(delivery: Delivery, ms: number): void {
    delivery.group?.leave(delivery);
    delivery.group = undefined;
    if (delivery.timer !== undefined) clearTimeout(delivery.timer);
    delivery.deadline = Date.now() + ms;
    delivery.timer = setTimeout(() => this.expire(delivery), ms);
    delivery.timer.unref();
  }

  /** Past its deadline: the attempt failed, and the event gets its next one. */
  private expire(delivery: Delivery): void {
    if (this.deliveries.get(delivery.id) !== delivery) return;
    this.forget(delivery);
    this.ids.remember(delivery.id, 'expired');
    delivery.settlement.reject(
      new AckTimeoutError(`not committed within its deadline (${this.terms.ackTimeoutMs} ms)`, {
        details: { timeoutMs: this.terms.ackTimeoutMs },
      }),
    );
  }

  private handBack(delivery: Delivery, status: DeliveryStatus): void {
    this.forget(delivery);
    if (delivery.fetched) this.ids.remember(delivery.id, status);
    delivery.settlement.resolve(HAND_BACK);
  }

  private fetchedDelivery(id: string): Delivery | undefined {
    const delivery = this.deliveries.get(id);
    return delivery?.fetched === true ? delivery : undefined;
  }

  private forget(delivery: Delivery): void {
    this.deliveries.delete(delivery.id);
    this.byPartitionStop.get(delivery.partitionStop)?.delete(delivery);
    delivery.group?.leave(delivery);
    if (delivery.timer !== undefined) clearTimeout(delivery.timer);
    if (!delivery.fetched) {
      const index = this.ready.indexOf(delivery);
      if (index >= 0) this.ready.splice(index, 1);
    }
  }
}

function decisionOf(result: DeliveryResult): Decision | undefined {
  switch (result.outcome) {
    case 'ok':
      return undefined;
    case 'retry':
      return { decision: 'retry', afterMs: result.afterMs, reason: result.reason };
    case 'dead-letter':
      return { decision: 'dead-letter', reason: result.reason };
    case 'cancel':
      return { decision: 'cancel', reason: result.reason };
  }
}
