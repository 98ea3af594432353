/**
 * A consumer member: one running instance of a named consumer. It registers
 * the consumer, joins its membership, runs a worker per assigned partition,
 * commits positions in batches, and on stop drains running handlers and
 * commits before leaving, so its partitions move on at once.
 */
import { HandlerSlots } from './handler-slots.js';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Assignment, MemberInfo, MemberSession } from '../contracts/membership.js';
import type { Provider } from '../contracts/provider.js';
import { ClosedError, MillraceError } from '../errors.js';
import type { JsonValue } from '../json.js';
import { errorFields, type Logger } from '../logger.js';
import { BEGINNING, type Position } from '../position.js';
import type { ResolvedConsumerOptions } from './options.js';
import { ABANDON, DRAIN, PartitionWorker, type StopReason } from './partition-worker.js';
import { PositionCommitter } from './position-committer.js';
import { startPoint } from './start-position.js';
import { Signals, type ConsumerSignals } from './signals.js';
import { sleep } from './sleep.js';
import type { WakeupHub } from './wakeup-hub.js';

/** How often a member looks for dead letters retried by an operator (at least its poll interval). */
const REPLAY_POLL_MS = 2000;
const REPLAY_BATCH = 100;

export type ConsumerState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

interface RunningWorker {
  readonly worker: PartitionWorker;
  readonly stop: AbortController;
  readonly done: Promise<void>;
}

export class Consumer<Data = JsonValue> {
  readonly signals = new Signals<ConsumerSignals>();
  readonly member: MemberInfo;
  private stateValue: ConsumerState = 'idle';
  private readonly workers = new Map<number, RunningWorker>();
  private readonly handlerAbort = new AbortController();
  /** Shared by the partitions; none where one handler per partition is the bound already. */
  private readonly slots: HandlerSlots | undefined;
  private readonly committer: PositionCommitter;
  private session: MemberSession | undefined;
  private unregisterWakeups: (() => Promise<void>) | undefined;
  private stopAssignments: (() => void) | undefined;
  private stopping: Promise<void> | undefined;
  private starting: Promise<void> | undefined;
  private assignmentChain: Promise<void> = Promise.resolve();
  private replayTimer: NodeJS.Timeout | undefined;
  private lookingForReplays = false;

  constructor(
    private readonly provider: Provider,
    private readonly hub: WakeupHub,
    readonly options: ResolvedConsumerOptions<Data>,
    private readonly logger: Logger,
  ) {
    this.member = {
      id: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      host: hostname(),
      pid: process.pid,
    };
    this.slots =
      options.ordering === 'partition' && options.concurrency >= options.partitions
        ? undefined
        : new HandlerSlots(options.concurrency);
    this.committer = new PositionCommitter(
      provider.positions,
      options.name,
      this.member.id,
      { everyEvents: options.commitEveryEvents, intervalMs: options.commitIntervalMs },
      logger,
      (commits) => this.signals.emit('committed', commits),
      (partitions) => {
        this.signals.emit('fenced', partitions);
        this.assignmentChain = this.assignmentChain.then(() => this.abandon(partitions));
      },
    );
  }

  get name(): string {
    return this.options.name;
  }

  get state(): ConsumerState {
    return this.stateValue;
  }

  /** The partitions this member works now. */
  get partitions(): number[] {
    return [...this.workers.keys()].sort((a, b) => a - b);
  }

  /** Registers the consumer and starts working; resolves once the first assignment runs. */
  async start(): Promise<void> {
    if (this.stateValue !== 'idle') {
      throw new MillraceError('validation', `consumer ${this.name} was already started`, false, {
        reason: 'already_started',
      });
    }
    this.stateValue = 'starting';
    this.starting = this.run();
    return this.starting;
  }

  private async run(): Promise<void> {
    try {
      const { options, provider } = this;
      const start = await startPoint(options.startFrom, provider.log, provider.capabilities);
      await provider.registry.register(
        {
          name: options.name,
          sequence: options.sequence,
          subjects: options.subjects,
          partitions: options.partitions,
          maxAttempts: options.maxAttempts,
        },
        start,
        options.startFrom,
      );
      this.unregisterWakeups = await this.hub.register(options.sequence, (wakeup) => {
        for (const { worker } of this.workers.values()) worker.notify(wakeup.streamHashes);
      });
      this.session = await provider.membership.join({
        consumer: options.name,
        partitions: options.partitions,
        member: this.member,
        sessionTimeoutMs: options.sessionTimeoutMs,
        heartbeatIntervalMs: options.heartbeatIntervalMs,
      });
      this.stopAssignments = this.session.onAssignment((assignment) => {
        this.assignmentChain = this.assignmentChain.then(() => this.apply(assignment));
      });
      await this.apply(this.session.current());
      if (this.stateValue !== 'starting') return;
      this.watchReplays();
      this.stateValue = 'running';
      this.signals.emit('started');
    } catch (error) {
      if (this.stateValue === 'starting') {
        this.stateValue = 'stopping';
        await this.shutdown();
        this.stateValue = 'stopped';
      }
      throw error;
    }
  }

  /**
   * Stops taking events, waits for running handlers (aborting their signal
   * after `stopTimeoutMs`), commits positions and leaves the membership.
   */
  stop(): Promise<void> {
    if (this.stateValue === 'idle') {
      this.stateValue = 'stopped';
      return Promise.resolve();
    }
    this.stopping ??= (async () => {
      this.stateValue = 'stopping';
      // A start in progress finishes (or fails) first, so nothing it starts outlives the stop.
      await this.starting?.catch(() => undefined);
      await this.assignmentChain;
      await this.shutdown();
      this.stateValue = 'stopped';
      this.signals.emit('stopped');
    })();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.stopAssignments?.();
    if (this.replayTimer !== undefined) clearInterval(this.replayTimer);
    const running = [...this.workers.values()];
    for (const { stop } of running) stop.abort(DRAIN);
    const drained = Promise.all(running.map((r) => r.done));
    const timeout = new AbortController();
    const timedOut = await Promise.race([
      drained.then(() => false),
      sleep(this.options.stopTimeoutMs, timeout.signal).then(() => true),
    ]);
    timeout.abort();
    if (timedOut) {
      this.logger.warn(
        { consumer: this.name, timeoutMs: this.options.stopTimeoutMs },
        'handlers still running at stop timeout; aborting their signal',
      );
      this.handlerAbort.abort(new ClosedError(`consumer ${this.name} is stopping`));
      await Promise.race([drained, sleep(1000)]);
    }
    this.workers.clear();
    try {
      await this.committer.close();
    } catch (error) {
      this.logger.error(
        { consumer: this.name, ...errorFields(error) },
        'final position commit failed; recent events will be handled again',
      );
    }
    await this.session?.leave();
    await this.unregisterWakeups?.();
  }

  /**
   * Follows a new assignment. Partitions no longer ours are stopped (running
   * handlers finish), committed while we still own them, and released, so
   * their next owner starts where we stopped; new ones start from their
   * stored positions.
   */
  private async apply(assignment: Assignment): Promise<void> {
    if (this.stateValue !== 'starting' && this.stateValue !== 'running') return;
    const wanted = new Set(assignment.partitions);
    // Granted again since its worker started (a reset): the old run is over.
    const regranted = [...this.workers.entries()]
      .filter(([p, running]) => (assignment.grantedIn?.[p] ?? 0) > running.worker.generation)
      .map(([p]) => p);
    if (regranted.length > 0) {
      for (const partition of regranted) this.committer.drop(partition);
      await this.stopWorkers(regranted, ABANDON);
      for (const partition of regranted) this.committer.drop(partition);
    }
    const leaving = [...this.workers.keys()].filter((partition) => !wanted.has(partition));
    if (leaving.length > 0) {
      // A partition being handed over is still ours: finish what was skipped
      // past. One taken away (this member lapsed) is not: start nothing more.
      const handingOver = new Set(assignment.handingOver ?? []);
      await Promise.all([
        this.stopWorkers(
          leaving.filter((p) => handingOver.has(p)),
          DRAIN,
        ),
        this.stopWorkers(
          leaving.filter((p) => !handingOver.has(p)),
          ABANDON,
        ),
      ]);
      await this.committer.flush();
      await this.session?.release(leaving).catch((error: unknown) => {
        this.logger.warn(
          { consumer: this.name, partitions: leaving, ...errorFields(error) },
          'could not release partitions; they move on when this member is found dead',
        );
      });
    }
    const starting = assignment.partitions.filter((partition) => !this.workers.has(partition));
    if (starting.length > 0) {
      const stored = new Map(
        (await this.provider.positions.load(this.name)).map((p) => [p.partition, p.position]),
      );
      for (const partition of starting) {
        this.startWorker(partition, assignment.generation, stored.get(partition) ?? BEGINNING);
      }
    }
    this.signals.emit('assigned', assignment);
  }

  /** Stops partitions whose commits were refused: they belong to another member already. */
  /**
   * Commits for these partitions were refused: the worker there runs under a
   * generation that is over. It stops at once; then the assignment is read
   * again, and a partition still ours (handed out again under a new
   * generation, as after a reset) starts afresh from its stored position.
   */
  private async abandon(partitions: readonly number[]): Promise<void> {
    const ours = partitions.filter((partition) => this.workers.has(partition));
    for (const partition of ours) this.committer.drop(partition);
    await this.stopWorkers(ours, ABANDON);
    for (const partition of ours) this.committer.drop(partition);
    if (ours.length === 0 || this.session === undefined) return;
    await this.session.refresh();
    await this.apply(this.session.current());
  }

  /**
   * Dead letters an operator retried wait in the store as replays for their
   * partition's owner: one query per member now and then, almost always
   * empty (a partial index holds only replays).
   */
  private watchReplays(): void {
    const everyMs = Math.max(this.options.pollIntervalMs, REPLAY_POLL_MS);
    this.replayTimer = setInterval(() => void this.lookForReplays(), everyMs);
    this.replayTimer.unref();
    void this.lookForReplays();
  }

  private async lookForReplays(): Promise<void> {
    const partitions = this.partitions;
    if (this.lookingForReplays || partitions.length === 0) return;
    this.lookingForReplays = true;
    try {
      const due = await this.provider.deliveries.dueReplays(this.name, partitions, REPLAY_BATCH);
      for (const record of due) this.workers.get(record.partition)?.worker.replay([record]);
    } catch (error) {
      this.logger.warn(
        { consumer: this.name, ...errorFields(error) },
        'could not look for retried dead letters',
      );
    } finally {
      this.lookingForReplays = false;
    }
  }

  private async stopWorkers(partitions: readonly number[], how: StopReason): Promise<void> {
    const running = partitions
      .map((partition) => this.workers.get(partition))
      .filter((worker) => worker !== undefined);
    for (const worker of running) worker.stop.abort(how);
    await Promise.all(running.map((worker) => worker.done));
    for (const partition of partitions) this.workers.delete(partition);
  }

  private startWorker(partition: number, generation: number, position: Position): void {
    const stop = new AbortController();
    const worker = new PartitionWorker(
      {
        options: this.options as ResolvedConsumerOptions<unknown>,
        log: this.provider.log,
        deliveries: this.provider.deliveries,
        positions: this.provider.positions,
        committer: this.committer,
        logger: this.logger,
        member: this.member.id,
        isLive: () => this.session?.isLive() ?? false,
        stopSignal: stop.signal,
        handlerSignal: this.handlerAbort.signal,
        slots: this.slots,
        onHandled: (event, p) => this.signals.emit('handled', event, p),
        onFailed: (event, p, attempt, error) =>
          this.signals.emit('failed', event, p, attempt, error),
      },
      partition,
      generation,
      position,
    );
    const done = worker.run().catch((error: unknown) => {
      this.logger.error(
        { consumer: this.name, partition, ...errorFields(error) },
        'partition worker crashed',
      );
    });
    this.workers.set(partition, { worker, stop, done });
  }
}
