/**
 * One member of one consumer under millrace's allocator: it heartbeats,
 * follows its assignment (re-read whenever the allocation changes, and on
 * any heartbeat that shows a new generation), hands back what it is asked to
 * release, and knows when it may work.
 *
 * It may work while it holds a lease: every acknowledged heartbeat renews it
 * for `leaseMs` from the moment the heartbeat was sent, and the member stops
 * starting work half a heartbeat before the lease ends. The store frees the
 * partitions of a member whose session it saw gone only once that lease has
 * ended (of a silent one, after the session timeout), so a member cut off
 * from the store, frozen, or slow to hear that it lost its partitions has
 * stopped before anyone else starts them. A member that loses its own
 * session stops at once, until a heartbeat sent after the loss is answered.
 */
import { performance } from 'node:perf_hooks';
import type { MemberTerms, MembershipStore } from '../../contracts/membership-store.js';
import type {
  PositionCommit,
  PositionWriter,
  TransactionalWork,
} from '../../contracts/positions.js';
import {
  sameAssignment,
  type Assignment,
  type JoinRequest,
  type MemberSession,
} from '../../contracts/membership.js';
import { errorFields, type Logger } from '../../logger.js';

/** Heartbeats a lease lasts: two may be late or lost before the member pauses. */
const LEASE_HEARTBEATS = 3;

/** The terms a member joins on: its lease is three heartbeats, at most the session timeout. */
function memberTerms(request: JoinRequest): MemberTerms {
  return {
    sessionTimeoutMs: request.sessionTimeoutMs,
    leaseMs: Math.min(request.sessionTimeoutMs, LEASE_HEARTBEATS * request.heartbeatIntervalMs),
  };
}

export class AllocatedMemberSession<Transaction = unknown> implements MemberSession<Transaction> {
  private assignment: Assignment = { generation: 0, partitions: [] };
  /** Partitions reported to the listeners and not released since: the caller may be working them. */
  private readonly reported = new Set<number>();
  private readonly listeners = new Set<(assignment: Assignment) => void>();
  private readonly terms: MemberTerms;
  /** How long after sending an acknowledged heartbeat the member may start work. */
  private readonly workWindowMs: number;
  private timer: NodeJS.Timeout | undefined;
  /** When (performance.now()) the last acknowledged heartbeat or join was sent. */
  private lastAck = -Infinity;
  /** When this process's session was last lost: acknowledgements sent before do not count. */
  private lostAt = -Infinity;
  private beating = false;
  private beatAgain = false;
  private knownGeneration = -1;
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;
  private closed = false;

  /** Present where the writer can store a position within the handler's transaction. */
  readonly commitWithin?: (
    commit: PositionCommit,
    work: (transaction: Transaction) => Promise<TransactionalWork>,
  ) => Promise<unknown>;

  constructor(
    private readonly store: MembershipStore,
    private readonly positions: PositionWriter<Transaction>,
    private readonly request: JoinRequest,
    private readonly logger: Logger,
    private readonly hooks: {
      /** Heartbeats stopped. */
      readonly closed: () => void;
      /** Released everything and left: a leader in this process rebalances at once. */
      readonly left: (consumer: string) => void;
    },
  ) {
    this.terms = memberTerms(request);
    this.workWindowMs = this.terms.leaseMs - request.heartbeatIntervalMs / 2;
    const within = positions.commitWithin?.bind(positions);
    if (within !== undefined) {
      this.commitWithin = (commit, work) =>
        within(request.consumer, request.member.id, commit, work);
    }
  }

  get member() {
    return this.request.member;
  }

  get consumer(): string {
    return this.request.consumer;
  }

  async open(): Promise<void> {
    await this.join();
    await this.refresh();
    this.timer = setInterval(() => void this.beat(), this.request.heartbeatIntervalMs);
    this.timer.unref();
  }

  commit(commits: readonly PositionCommit[]): Promise<void> {
    if (commits.length === 0) return Promise.resolve();
    return this.positions.commit(this.consumer, this.member.id, commits);
  }

  current(): Assignment {
    return this.assignment;
  }

  onAssignment(listener: (assignment: Assignment) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Within the lease, and no session lost since the heartbeat that renewed it. */
  isLive(): boolean {
    if (this.closed || this.lastAck <= this.lostAt) return false;
    return performance.now() < this.lastAck + this.workWindowMs;
  }

  /**
   * This process's session was lost: the store may take this member for
   * dead once its lease ends. Start nothing until a heartbeat sent from now
   * on is answered; send one at once.
   */
  sessionLost(): void {
    if (this.closed) return;
    this.lostAt = performance.now();
    void this.beat();
  }

  /**
   * Releases what the caller stopped, except partitions the latest assignment
   * gives back (the allocator kept them after revoking them): the caller is
   * about to work those again, so they must not move on.
   */
  release(partitions: readonly number[]): Promise<void> {
    const current = new Set(this.assignment.partitions);
    const letGo = partitions.filter((partition) => !current.has(partition));
    for (const partition of letGo) this.reported.delete(partition);
    return this.store.release(this.consumer, this.member.id, letGo);
  }

  async leave(): Promise<void> {
    this.close();
    await this.store.leave(this.consumer, this.member.id);
    this.hooks.left(this.consumer);
  }

  /** Stops heartbeating without leaving (the provider is closing). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.hooks.closed();
  }

  /** The allocation may have changed: read it again. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = this.readAssignment().finally(() => {
      this.refreshing = undefined;
      if (this.refreshAgain && !this.closed) {
        this.refreshAgain = false;
        void this.refresh();
      }
    });
    return this.refreshing;
  }

  private async join(): Promise<void> {
    const sentAt = performance.now();
    await this.store.join(this.consumer, this.member, this.request.partitions, this.terms);
    this.acknowledged(sentAt);
  }

  private acknowledged(sentAt: number): void {
    this.lastAck = Math.max(this.lastAck, sentAt);
  }

  /** One heartbeat at a time; one asked for meanwhile goes out when it is answered. */
  private async beat(): Promise<void> {
    if (this.closed) return;
    if (this.beating) {
      this.beatAgain = true;
      return;
    }
    this.beating = true;
    try {
      do {
        this.beatAgain = false;
        await this.beatOnce();
      } while (this.beatAgain && !this.closed);
    } finally {
      this.beating = false;
    }
  }

  private async beatOnce(): Promise<void> {
    const sentAt = performance.now();
    try {
      const generation = await this.store.heartbeat(this.consumer, this.member.id, this.terms);
      if (this.closed) return;
      if (generation === undefined) {
        // The allocator found us dead (silent too long, or our session was
        // gone past our lease): whatever we held has moved on. Stop
        // everything, then join again as a newcomer.
        this.logger.warn(
          { consumer: this.consumer, member: this.member.id },
          'membership lapsed; joining again',
        );
        this.emit({ generation: this.assignment.generation, partitions: [] });
        await this.join();
        await this.refresh();
        return;
      }
      this.acknowledged(sentAt);
      if (generation !== this.knownGeneration) await this.refresh();
    } catch (error) {
      this.logger.warn(
        { consumer: this.consumer, member: this.member.id, ...errorFields(error) },
        'heartbeat failed',
      );
    }
  }

  private async readAssignment(): Promise<void> {
    try {
      const read = await this.store.assignment(this.consumer, this.member.id);
      if (this.closed) return;
      this.knownGeneration = read.generation;
      this.emit({
        generation: read.generation,
        partitions: read.owned,
        handingOver: read.revoking,
        grantedIn: Object.fromEntries(read.owned.map((p, i) => [p, read.ownedSince[i] ?? 0])),
      });
      // Granted and revoked again between two reads: the caller never heard of
      // it, so it will never release it; hand it back here or it stays stuck.
      const unreported = read.revoking.filter((partition) => !this.reported.has(partition));
      if (unreported.length > 0) await this.release(unreported);
    } catch (error) {
      this.logger.warn(
        { consumer: this.consumer, member: this.member.id, ...errorFields(error) },
        'could not read the assignment; retrying on the next heartbeat',
      );
      this.knownGeneration = -1;
    }
  }

  private emit(assignment: Assignment): void {
    const before = this.assignment;
    this.assignment = assignment;
    for (const partition of assignment.partitions) this.reported.add(partition);
    if (sameAssignment(before, assignment)) return;
    for (const listener of this.listeners) listener(assignment);
  }
}
