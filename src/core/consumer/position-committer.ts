/**
 * Batches position commits: the latest position of every partition a member
 * works is written in one statement, once `everyEvents` events were handled
 * since the last commit or `intervalMs` after the first of them, and on stop.
 * One commit runs at a time; a failed one is retried on the next tick with
 * whatever is newest by then.
 */
import type { PositionCommit } from '../contracts/positions.js';
import { FencedError } from '../errors.js';
import { errorFields, type Logger } from '../logger.js';
import { comparePositions, type Position } from '../position.js';

export interface CommitterOptions {
  readonly everyEvents: number;
  readonly intervalMs: number;
}

export class PositionCommitter {
  private readonly dirty = new Map<number, PositionCommit>();
  /** Partitions dropped while a commit was in flight: if it fails, they are not tried again. */
  private readonly droppedInFlight = new Set<number>();
  private handledSinceCommit = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Commits run one after another along this chain. */
  private chain: Promise<unknown> = Promise.resolve();
  /** A commit queued on the chain that has not started: later requests join it. */
  private queued: Promise<boolean> | undefined;
  private lastError: unknown;
  /** After close nothing is retried: the member is gone, its partitions move on. */
  private closed = false;

  constructor(
    /** Stores commits through the member's session (fenced by it). */
    private readonly store: (commits: readonly PositionCommit[]) => Promise<void>,
    private readonly consumer: string,
    private readonly member: string,
    private readonly options: CommitterOptions,
    private readonly logger: Logger,
    private readonly onCommitted: (commits: readonly PositionCommit[]) => void,
    /** Commits that were refused: this member no longer owns their partitions under their generations. */
    private readonly onFenced: (refused: readonly PositionCommit[]) => void = () => undefined,
  ) {}

  /** Records that a partition is finished up to `position`, after `handled` more events. */
  advance(partition: number, position: Position, generation: number, handled: number): void {
    const known = this.dirty.get(partition);
    if (known !== undefined && comparePositions(position, known.position) <= 0) return;
    this.dirty.set(partition, { partition, position, generation });
    this.handledSinceCommit += handled;
    if (this.handledSinceCommit >= this.options.everyEvents) {
      void this.flush();
    } else {
      this.schedule(this.options.intervalMs);
    }
  }

  /** Forgets a partition's pending position (it was taken away; the new owner goes on from the store). */
  drop(partition: number): void {
    this.dirty.delete(partition);
    this.droppedInFlight.add(partition);
  }

  /** Commits everything recorded so far. Never rejects: false if the commit failed (it is retried). */
  flush(): Promise<boolean> {
    if (this.queued) return this.queued;
    const queued = this.chain.then(() => {
      this.queued = undefined;
      return this.commitOnce();
    });
    this.queued = queued;
    this.chain = queued;
    return queued;
  }

  /** Final commit; rejects with the store's error if it cannot be stored. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (!(await this.flush())) throw this.lastError;
  }

  private schedule(delayMs: number): void {
    if (this.timer !== undefined || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs);
    this.timer.unref();
  }

  private async commitOnce(): Promise<boolean> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.dirty.size === 0) return true;
    const commits = [...this.dirty.values()];
    const handled = this.handledSinceCommit;
    this.dirty.clear();
    this.droppedInFlight.clear();
    this.handledSinceCommit = 0;
    try {
      await this.store(commits);
      this.onCommitted(commits);
      return true;
    } catch (error) {
      if (error instanceof FencedError) {
        // The others were stored; the fenced ones belong to someone else now and are not retried.
        const fenced = new Set((error.details?.partitions as number[] | undefined) ?? []);
        this.onCommitted(commits.filter((c) => !fenced.has(c.partition)));
        this.logger.warn(
          { consumer: this.consumer, member: this.member, partitions: [...fenced] },
          'commits refused: these partitions have moved to another member',
        );
        this.onFenced(commits.filter((c) => fenced.has(c.partition)));
        return true;
      }
      this.lastError = error;
      this.logger.warn(
        { consumer: this.consumer, ...errorFields(error) },
        'position commit failed; retrying',
      );
      for (const commit of commits) {
        const { partition } = commit;
        if (this.dirty.has(partition) || this.droppedInFlight.has(partition)) continue;
        this.dirty.set(partition, commit);
      }
      this.handledSinceCommit += handled;
      this.schedule(Math.max(this.options.intervalMs, 100));
      return false;
    }
  }
}
