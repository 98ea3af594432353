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

/** Where each consumer has got to, per partition: read by anyone; written only through a member's session. */
export interface PositionStore {
  load(consumer: string): Promise<PartitionPosition[]>;
}

/**
 * How a provider under millrace's allocator stores a member's positions:
 * what its member sessions (see the kit's AllocatedMembership) commit
 * through. A provider whose backend fences commits itself (Kafka) commits in
 * its own member session instead.
 */
export interface PositionWriter<Transaction = unknown> {
  /**
   * Commits several partitions in one round trip, each only if `member` owns
   * it in the commit's generation (fencing); the others are refused with a
   * FencedError whose `details.partitions` lists them, after the allowed ones
   * are stored. Positions never move backwards here.
   */
  commit(consumer: string, member: string, commits: readonly PositionCommit[]): Promise<void>;
  /** As MemberSession.commitWithin, for `member`. */
  commitWithin?(
    consumer: string,
    member: string,
    commit: PositionCommit,
    work: (transaction: Transaction) => Promise<TransactionalWork>,
  ): Promise<unknown>;
}

/** What transactional work returns: whether to commit (else roll back), and its value. */
export interface TransactionalWork {
  readonly commit: boolean;
  readonly value: unknown;
}
