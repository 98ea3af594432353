/**
 * A consumer member: one running instance of a named consumer. It registers
 * the consumer, joins its membership, runs a worker per assigned partition
 * (see AssignmentFollower), commits positions in batches, and on stop drains
 * running handlers and commits before leaving, so its partitions move on at
 * once. While it runs it keeps its process alive, whatever its connections
 * do: a member rides out its backend's failures and ends only when stopped.
 */
import { HandlerSlots } from './handler-slots.js';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { MemberInfo, MemberSession } from '../contracts/membership.js';
import type { PositionCommit } from '../contracts/positions.js';
import type { Provider } from '../contracts/provider.js';
import { ClosedError, MillraceError } from '../errors.js';
import type { JsonValue } from '../json.js';
import { errorFields, type Logger } from '../logger.js';
import type { Position } from '../position.js';
import { AssignmentFollower, type RunningWorker } from './assignment-follower.js';
import type { ResolvedConsumerOptions } from './options.js';
import { PartitionWorker } from './partition-worker.js';
import { PositionCommitter } from './position-committer.js';
import { registerResolved } from './register-consumer.js';
import { Signals, type ConsumerSignals } from './signals.js';
import { sleep } from './sleep.js';
import type { WakeupHub } from './wakeup-hub.js';

/** How often a member looks for dead letters retried by an operator (at least its poll interval). */
const REPLAY_POLL_MS = 2000;
const REPLAY_BATCH = 100;

export type ConsumerState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

/** A timer that only keeps the process alive (the longest Node allows). */
const KEEP_ALIVE_MS = 2 ** 31 - 1;

export class Consumer<Data = JsonValue> {
  readonly signals = new Signals<ConsumerSignals>();
  readonly member: MemberInfo;
  private stateValue: ConsumerState = 'idle';
  private readonly handlerAbort = new AbortController();
  /** Shared by the partitions; none where one handler per partition is the bound already. */
  private readonly slots: HandlerSlots | undefined;
  private readonly committer: PositionCommitter;
  private follower: AssignmentFollower | undefined;
  private session: MemberSession | undefined;
  private unregisterWakeups: (() => Promise<void>) | undefined;
  private stopAssignments: (() => void) | undefined;
  private stopping: Promise<void> | undefined;
  private starting: Promise<void> | undefined;
  private replayTimer: NodeJS.Timeout | undefined;
  private keepAlive: NodeJS.Timeout | undefined;
  private lookingForReplays = false;

  constructor(
    private readonly provider: Provider,
    private readonly hub: WakeupHub,
    readonly options: ResolvedConsumerOptions<Data>,
    private readonly logger: Logger,
    /** Who the member is; by default this process (a server hosting a worker's member says otherwise). */
    member?: MemberInfo,
  ) {
    this.member = member ?? {
      id: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      host: hostname(),
      pid: process.pid,
    };
    this.slots =
      options.ordering === 'partition' && options.concurrency >= options.partitions
        ? undefined
        : new HandlerSlots(options.concurrency);
    this.committer = new PositionCommitter(
      (commits) => this.commit(commits),
      options.name,
      this.member.id,
      { everyEvents: options.commitEveryEvents, intervalMs: options.commitIntervalMs },
      logger,
      (commits) => this.signals.emit('committed', commits),
      (refused) => this.refused(refused),
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
    return this.follower?.partitions ?? [];
  }

  /** Registers the consumer and starts working; resolves once the first assignment runs. */
  async start(): Promise<void> {
    if (this.stateValue !== 'idle') {
      throw new MillraceError('validation', `consumer ${this.name} was already started`, false, {
        reason: 'already_started',
      });
    }
    this.stateValue = 'starting';
    // From here until stopped, this process stays alive even if every socket closes.
    this.keepAlive = setInterval(() => undefined, KEEP_ALIVE_MS);
    this.starting = this.run();
    return this.starting;
  }

  private async run(): Promise<void> {
    try {
      const { options, provider } = this;
      await registerResolved(provider, options as ResolvedConsumerOptions<unknown>);
      this.unregisterWakeups = await this.hub.register(options.sequence, (wakeup) => {
        this.follower?.each((worker) => worker.notify(wakeup.streamHashes));
      });
      const session = await provider.membership.join({
        consumer: options.name,
        partitions: options.partitions,
        member: this.member,
        sessionTimeoutMs: options.sessionTimeoutMs,
        heartbeatIntervalMs: options.heartbeatIntervalMs,
      });
      this.session = session;
      const follower = new AssignmentFollower({
        consumer: options.name,
        session,
        positions: provider.positions,
        committer: this.committer,
        logger: this.logger,
        startWorker: (partition, generation, position) =>
          this.startWorker(partition, generation, position),
        onAssigned: (assignment) => this.signals.emit('assigned', assignment),
      });
      this.follower = follower;
      this.stopAssignments = session.onAssignment((assignment) => follower.heard(assignment));
      if (this.stateValue !== 'starting') return;
      follower.follow();
      // Until the first round holds (the database may be away), or a stop.
      await follower.applied();
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
      // A start waiting for its first round to hold stops waiting.
      void this.follower?.close();
      // A start in progress finishes (or fails) first, so nothing it starts outlives the stop.
      await this.starting?.catch(() => undefined);
      await this.shutdown();
      this.stateValue = 'stopped';
      this.signals.emit('stopped');
    })();
    return this.stopping;
  }

  /** Never rejects: what cannot be done cleanly is logged, and the partitions move on by timeout. */
  private async shutdown(): Promise<void> {
    this.stopAssignments?.();
    if (this.replayTimer !== undefined) clearInterval(this.replayTimer);
    const follower = this.follower;
    await follower?.close();
    if (follower !== undefined) await this.drain(follower);
    try {
      await this.committer.close();
    } catch (error) {
      this.logger.error(
        { consumer: this.name, ...errorFields(error) },
        'final position commit failed; recent events will be handled again',
      );
    }
    await this.session?.leave().catch((error: unknown) => {
      this.logger.warn(
        { consumer: this.name, ...errorFields(error) },
        'could not leave the membership; the partitions move on when this member is found dead',
      );
    });
    await this.unregisterWakeups?.().catch(() => undefined);
    if (this.keepAlive !== undefined) clearInterval(this.keepAlive);
  }

  /** Lets every worker finish what it skipped past, up to `stopTimeoutMs`. */
  private async drain(follower: AssignmentFollower): Promise<void> {
    const drained = follower.drainAll();
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
    follower.forget();
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
      for (const record of due) this.follower?.get(record.partition)?.replay([record]);
    } catch (error) {
      this.logger.warn(
        { consumer: this.name, ...errorFields(error) },
        'could not look for retried dead letters',
      );
    } finally {
      this.lookingForReplays = false;
    }
  }

  /** Positions go through the member's session, which fences them; there is none before it joined. */
  private commit(commits: readonly PositionCommit[]): Promise<void> {
    if (this.session === undefined) {
      return Promise.reject(new Error(`consumer ${this.name} has not joined yet`));
    }
    return this.session.commit(commits);
  }

  /** Commits were refused (the committer's, or a worker's own): stop those partitions now. */
  private refused(commits: readonly PositionCommit[]): void {
    this.follower?.refused(commits);
    this.signals.emit('fenced', commits);
  }

  private startWorker(partition: number, generation: number, position: Position): RunningWorker {
    const worker = new PartitionWorker(
      {
        options: this.options as ResolvedConsumerOptions<unknown>,
        log: this.provider.log,
        deliveries: this.provider.deliveries,
        session: this.session as MemberSession,
        committer: this.committer,
        logger: this.logger,
        member: this.member.id,
        isLive: () => this.session?.isLive() ?? false,
        onRefused: (refused) => this.refused([refused]),
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
    return { worker, done };
  }
}
