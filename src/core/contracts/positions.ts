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
}
