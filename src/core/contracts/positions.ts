import type { Position } from '../position.js';

export interface PartitionPosition {
  readonly partition: number;
  /** The consumer has finished every event of this partition up to here. */
  readonly position: Position;
  /** The assignment generation of the last commit. */
  readonly generation: number;
  readonly updatedAt: Date;
}

export interface PositionCommit {
  readonly partition: number;
  readonly position: Position;
  readonly generation: number;
}

/** Where each consumer has got to, per partition. */
export interface PositionStore {
  load(consumer: string): Promise<PartitionPosition[]>;
  /**
   * Commits several partitions in one round trip, each only if `member` owns
   * it in the commit's generation (fencing); the others are refused with a
   * FencedError whose `details.partitions` lists them, after the allowed ones
   * are stored. Positions never move backwards here.
   */
  commit(consumer: string, member: string, commits: readonly PositionCommit[]): Promise<void>;
  /**
   * Effectively-once handling (`capabilities.transactionalHandling`): runs
   * `work` in a database transaction and, if it asks to commit, stores the
   * position in that same transaction (fenced as `commit`), so the work's
   * own writes and the position land together or not at all. Resolves with
   * the work's value.
   */
  commitWithin?(
    consumer: string,
    member: string,
    commit: PositionCommit,
    work: (transaction: unknown) => Promise<TransactionalWork>,
  ): Promise<unknown>;
}

/** What transactional work returns: whether to commit (else roll back), and its value. */
export interface TransactionalWork {
  readonly commit: boolean;
  readonly value: unknown;
}
