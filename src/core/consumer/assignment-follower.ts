/**
 * Keeps a member's partition workers in line with its assignment, along one
 * serial path: whatever assignments, refusals and failures arrive, one round
 * at a time brings the workers to the latest assignment the session knows,
 * and a round that fails (the database is away) is tried again until it
 * holds. Nothing is skipped (every round reads the latest assignment) and
 * nothing runs twice (one worker per partition, started by rounds only).
 *
 * Stopping work never waits for a round: a partition taken away, granted
 * again, or whose commit was refused stops starting events the moment this
 * member hears of it; the round that follows waits for its running handlers
 * and tidies up.
 */
import { sameAssignment, type Assignment, type MemberSession } from '../contracts/membership.js';
import type { PositionCommit, PositionStore } from '../contracts/positions.js';
import { errorFields, type Logger } from '../logger.js';
import { BEGINNING, type Position } from '../position.js';
import { ABANDON, DRAIN, type PartitionWorker } from './partition-worker.js';
import type { PositionCommitter } from './position-committer.js';

/** Waits between failed rounds: soon at first, then every couple of seconds. */
const RETRY_MS = [50, 100, 250, 500, 1000, 2000];

export interface RunningWorker {
  readonly worker: PartitionWorker;
  /** Resolves when the worker has stopped and its handlers have finished. */
  readonly done: Promise<void>;
}

export interface FollowerEnvironment {
  readonly consumer: string;
  readonly session: MemberSession;
  readonly positions: PositionStore;
  readonly committer: PositionCommitter;
  readonly logger: Logger;
  /** Starts working a partition under `generation` from `position`. */
  readonly startWorker: (
    partition: number,
    generation: number,
    position: Position,
  ) => RunningWorker;
  /** Called after a round whose assignment differs from the last one reported. */
  readonly onAssigned: (assignment: Assignment) => void;
}

export class AssignmentFollower {
  private readonly workers = new Map<number, RunningWorker>();
  /** Partitions whose commits were refused, with the newest refused generation: not restarted under it. */
  private readonly refusedAt = new Map<number, number>();
  /** Partitions stopped and not yet handed back. */
  private readonly unreleased = new Set<number>();
  private reported: Assignment | undefined;
  private running: Promise<void> | undefined;
  /** A loop is running: cleared in the loop's last synchronous step, so a later follow() starts another. */
  private looping = false;
  private again = false;
  private refreshFirst = false;
  private closed = false;
  private wakeRetry: (() => void) | undefined;
  private markApplied!: () => void;
  private readonly appliedOnce = new Promise<void>((resolve) => (this.markApplied = resolve));

  constructor(private readonly env: FollowerEnvironment) {}

  /** The partitions with a worker now (some may be finishing). */
  get partitions(): number[] {
    return [...this.workers.keys()].sort((a, b) => a - b);
  }

  get(partition: number): PartitionWorker | undefined {
    return this.workers.get(partition)?.worker;
  }

  each(fn: (worker: PartitionWorker) => void): void {
    for (const { worker } of this.workers.values()) fn(worker);
  }

  /**
   * A new assignment: partitions taken away (not handed over) or granted
   * again stop starting events now; a round follows.
   */
  heard(assignment: Assignment): void {
    const wanted = new Set(assignment.partitions);
    const handingOver = new Set(assignment.handingOver ?? []);
    for (const [partition, { worker }] of this.workers) {
      const taken = !wanted.has(partition) && !handingOver.has(partition);
      if (taken || this.grantedAfter(assignment, partition, worker.generation)) {
        worker.stop(ABANDON);
      }
    }
    this.follow();
  }

  /** Commits were refused: those workers stop now; the assignment is read again. */
  refused(commits: readonly PositionCommit[]): void {
    for (const { partition, generation } of commits) {
      const running = this.workers.get(partition);
      if (running === undefined || running.worker.generation > generation) continue;
      running.worker.stop(ABANDON);
      this.refusedAt.set(partition, Math.max(generation, this.refusedAt.get(partition) ?? -1));
    }
    this.refreshFirst = true;
    this.follow();
  }

  /** Runs a round soon (after the one under way, if any). */
  follow(): void {
    if (this.closed) return;
    this.again = true;
    this.wakeRetry?.();
    if (this.looping) return;
    this.looping = true;
    this.running = this.loop();
  }

  /** Resolves once a round has completed (or the follower closed). */
  applied(): Promise<void> {
    return this.appliedOnce;
  }

  /** No more rounds; resolves once the one under way has finished. */
  async close(): Promise<void> {
    this.closed = true;
    this.wakeRetry?.();
    this.markApplied();
    await this.running;
  }

  /**
   * Stops every worker (after close), each finishing what it skipped past.
   * Returns their completion; `forget` empties the roster.
   */
  drainAll(): Promise<void> {
    const running = [...this.workers.values()];
    for (const { worker } of running) worker.stop(DRAIN);
    return Promise.all(running.map((r) => r.done)).then(() => undefined);
  }

  forget(): void {
    this.workers.clear();
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (this.again && !this.closed) {
      this.again = false;
      try {
        await this.round();
        failures = 0;
        this.markApplied();
      } catch (error) {
        this.env.logger.warn(
          { consumer: this.env.consumer, ...errorFields(error) },
          'could not follow the assignment; trying again',
        );
        this.again = true;
        await this.pause(RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)] ?? 2000);
      }
    }
    this.looping = false;
  }

  private async round(): Promise<void> {
    const { session, committer } = this.env;
    if (this.refreshFirst) {
      this.refreshFirst = false;
      await session.refresh();
    }
    const assignment = session.current();
    const wanted = new Set(assignment.partitions);
    const handingOver = new Set(assignment.handingOver ?? []);

    // Stop what is no longer to run: handed over (drained, so the next owner
    // redoes nothing), taken away or granted again (abandoned), or already
    // stopped (a refused commit).
    const ending = [...this.workers].filter(
      ([partition, { worker }]) =>
        worker.stopped ||
        !wanted.has(partition) ||
        this.grantedAfter(assignment, partition, worker.generation),
    );
    for (const [partition, { worker }] of ending) {
      worker.stop(handingOver.has(partition) ? DRAIN : ABANDON);
    }
    await Promise.all(ending.map(([, running]) => running.done));
    for (const [partition, { worker }] of ending) {
      this.workers.delete(partition);
      this.unreleased.add(partition);
      // A drained partition is still ours until released: its position goes
      // in first. An abandoned one's is not ours to commit.
      if (!worker.drained) committer.drop(partition);
    }

    const letGo = [...this.unreleased].filter((partition) => !wanted.has(partition));
    const starting = assignment.partitions.filter(
      (partition) => !this.workers.has(partition) && !this.refusedUnder(assignment, partition),
    );
    // Nothing stopped here moves on, or starts again, before what it finished
    // is committed (a flush that failed in an earlier round included): the
    // next owner, or the next worker here, starts from the stored position.
    const settling =
      letGo.length > 0 || starting.some((partition) => this.unreleased.has(partition));
    if (settling && !(await committer.flush())) {
      throw new Error('could not commit the positions of partitions stopped here');
    }

    if (letGo.length > 0) {
      await session.release(letGo);
      for (const partition of letGo) {
        this.unreleased.delete(partition);
        this.refusedAt.delete(partition);
      }
    }

    if (starting.length > 0) {
      const stored = new Map(
        (await this.env.positions.load(this.env.consumer)).map((p) => [p.partition, p.position]),
      );
      // What was heard meanwhile may have taken some away: the next round sees to the rest.
      const latest = session.current();
      for (const partition of starting) {
        if (
          !latest.partitions.includes(partition) ||
          this.grantedAfter(latest, partition, assignment.generation)
        ) {
          continue;
        }
        this.unreleased.delete(partition);
        this.refusedAt.delete(partition);
        this.workers.set(
          partition,
          this.env.startWorker(
            partition,
            assignment.generation,
            stored.get(partition) ?? BEGINNING,
          ),
        );
      }
    }
    this.report(assignment);
  }

  /** Granted again since a worker under `generation` started on it (a reset freed and re-granted it). */
  private grantedAfter(assignment: Assignment, partition: number, generation: number): boolean {
    return (assignment.grantedIn?.[partition] ?? 0) > generation;
  }

  /**
   * Its commit was refused under a grant this assignment still shows: the
   * assignment is older than the refusal. Wait for a newer one.
   */
  private refusedUnder(assignment: Assignment, partition: number): boolean {
    const refused = this.refusedAt.get(partition);
    if (refused === undefined) return false;
    return !this.grantedAfter(assignment, partition, refused);
  }

  private report(assignment: Assignment): void {
    if (this.reported !== undefined && sameAssignment(this.reported, assignment)) return;
    this.reported = assignment;
    this.env.onAssigned(assignment);
  }

  /** Waits `ms`, or less if something new arrives (or the follower closes). */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeRetry = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.wakeRetry = done;
    });
  }
}
