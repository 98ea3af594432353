/**
 * What a partition worker hands down to the helpers that do its jobs
 * (delivery records, the commits it stores itself): its environment, which
 * partition it works under which generation, whether it was told to stop,
 * its timers and its logging, and a way to ask for its pump to run again.
 * The helpers take this, not the worker, so none of them imports back up.
 */
import type { DeliveryStore } from '../contracts/deliveries.js';
import type { LogStore } from '../contracts/log.js';
import type { MemberSession } from '../contracts/membership.js';
import type { PositionCommit } from '../contracts/positions.js';
import type { Event } from '../event.js';
import { errorFields, type Logger } from '../logger.js';
import type { Position } from '../position.js';
import type { AttemptScope } from './attempt.js';
import type { HandlerSlots } from './handler-slots.js';
import type { ResolvedConsumerOptions } from './options.js';
import type { PositionCommitter } from './position-committer.js';

export interface WorkerEnvironment {
  readonly options: ResolvedConsumerOptions<unknown>;
  readonly log: LogStore;
  readonly deliveries: DeliveryStore;
  readonly committer: PositionCommitter;
  /** The member's session: at-most-once claims and effectively-once handling commit through it on their own. */
  readonly session: MemberSession;
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

export class WorkerContext {
  /** Who runs each attempt: handed to handlers through their context. */
  readonly scope: AttemptScope;
  /** Delays waited out by the worker and its helpers; cleared when the worker closes. */
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly env: WorkerEnvironment,
    readonly partition: number,
    readonly generation: number,
    private readonly stopSignal: AbortSignal,
    /** Runs the worker's pump soon: something it waits on has changed. */
    readonly schedule: () => void,
  ) {
    this.scope = {
      consumer: env.options.name,
      member: env.member,
      partition,
      generation,
      logger: env.logger,
      stopSignal: env.handlerSignal,
      partitionSignal: stopSignal,
    };
  }

  /** Told to stop (it may still be finishing running handlers). */
  get stopped(): boolean {
    return this.stopSignal.aborted;
  }

  /** The commit that stores `position` for this partition under this worker's generation. */
  commitAt(position: Position): PositionCommit {
    return { partition: this.partition, position, generation: this.generation };
  }

  later(fn: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  /** Resolves after `ms`; never, if the worker closes first. */
  wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => this.later(resolve, ms));
  }

  clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  warn(error: unknown, message: string): void {
    this.env.logger.warn(
      { consumer: this.scope.consumer, partition: this.partition, ...errorFields(error) },
      message,
    );
  }
}
