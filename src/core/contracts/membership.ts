/**
 * Membership: how the members of one consumer learn which partitions they
 * own. With millrace's allocator (PostgreSQL, PGlite, Redis) a leader-elected
 * allocator assigns partitions; with Kafka the group coordinator does. Either
 * way a member sees the same thing: a generation and its partitions.
 */
import type { PositionCommit, TransactionalWork } from './positions.js';

export interface MemberInfo {
  readonly id: string;
  readonly host: string;
  readonly pid: number;
}

export interface Assignment {
  /** The consumer's generation when the member learned this; its commits carry it (fencing). */
  readonly generation: number;
  /** The partitions to work now. One missing from the last assignment is to be stopped and released. */
  readonly partitions: readonly number[];
  /**
   * Of those missing, the ones still this member's until it releases them (a
   * cooperative handover): it may finish what it skipped past before letting
   * go. Any other missing partition is someone else's already.
   */
  readonly handingOver?: readonly number[];
  /**
   * The generation each partition was granted in. One granted again since
   * this member started on it (a reset freed and re-granted it) must start
   * afresh from its stored position.
   */
  readonly grantedIn?: Readonly<Record<number, number>>;
}

/** Whether two assignments name the same generation and partitions (listeners hear only changes). */
export function sameAssignment(a: Assignment, b: Assignment): boolean {
  return (
    a.generation === b.generation &&
    a.partitions.length === b.partitions.length &&
    a.partitions.every((p, i) => p === b.partitions[i])
  );
}

export interface JoinRequest {
  readonly consumer: string;
  readonly partitions: number;
  readonly member: MemberInfo;
  /** A member silent this long is dead: its partitions move on. */
  readonly sessionTimeoutMs: number;
  /** How often the member says it is alive. */
  readonly heartbeatIntervalMs: number;
}

export interface MemberSession<Transaction = unknown> {
  readonly member: MemberInfo;
  /**
   * Stores where this member got to: each commit only if the member still
   * owns its partition in the commit's generation (fencing). The others are
   * refused with a FencedError (reason `stale_generation`) whose
   * `details.partitions` lists them, after the allowed ones are stored.
   * Positions never move backwards.
   */
  commit(commits: readonly PositionCommit[]): Promise<void>;
  /**
   * Effectively-once handling (`capabilities.transactionalHandling`): runs
   * `work` in a database transaction and, if it asks to commit, stores the
   * position in that same transaction (fenced as `commit`), so the work's
   * own writes and the position land together or not at all. Resolves with
   * the work's value.
   */
  commitWithin?(
    commit: PositionCommit,
    work: (transaction: Transaction) => Promise<TransactionalWork>,
  ): Promise<unknown>;
  current(): Assignment;
  /** Called on every new assignment; returns a function that stops listening. */
  onAssignment(listener: (assignment: Assignment) => void): () => void;
  /**
   * Whether the member may start work: false once its last acknowledged
   * heartbeat is older than the session timeout allows, so a process that was
   * frozen does not act on partitions that have moved on while it slept.
   */
  isLive(): boolean;
  /** Reads the assignment again now (a commit was refused: what does this member own?). */
  refresh(): Promise<void>;
  /** Hands back partitions this member stopped working (drained and committed), so they move on at once. */
  release(partitions: readonly number[]): Promise<void>;
  /** Leaves at once (after the caller drained and committed), so the partitions move on without waiting for a timeout. */
  leave(): Promise<void>;
}

/** One running member, as inspection shows it. */
export interface MemberView extends MemberInfo {
  readonly owned: readonly number[];
  readonly revoking: readonly number[];
  readonly joinedAt: Date;
  readonly heartbeatAt: Date;
  readonly expiresAt: Date;
}

export interface LeaderView {
  readonly holder: string;
  readonly host: string;
  readonly pid: number;
  readonly term: number;
  readonly since: Date;
  readonly expiresAt: Date;
}

/** A consumer's allocation as it stands: for inspection (CLI, dashboard), never for decisions. */
export interface MembershipView {
  readonly generation: number;
  /** Who runs the allocator; undefined if nobody does right now. */
  readonly leader: LeaderView | undefined;
  readonly members: readonly MemberView[];
  /** Each partition's owner (null: free) and whether it is being handed over. */
  readonly owners: readonly {
    readonly partition: number;
    readonly member: string | null;
    readonly revoking: boolean;
  }[];
}

export interface Membership<Transaction = unknown> {
  join(request: JoinRequest): Promise<MemberSession<Transaction>>;
  describe(consumer: string): Promise<MembershipView>;
}
