import type {
  PartitionPosition,
  PositionCommit,
  PositionStore,
  PositionWriter,
} from '../../core/contracts/positions.js';
import { FencedError } from '../../core/errors.js';
import { comparePositions, validatePosition } from '../../core/position.js';
import type { MemoryData } from './memory-data.js';
import { promised } from '../../core/kit/promised.js';

/**
 * Positions per consumer and partition, fenced as positions_commit.sql: a
 * partition is committed only if the member owns it and got it at or before
 * the commit's generation; the others are refused with a FencedError after
 * the allowed ones are stored. Only partitions the registry created exist,
 * and a position never moves backwards here (a stale commit keeps the
 * position but records its generation). Resets go through the registry.
 */
export class MemoryPositions implements PositionStore, PositionWriter {
  constructor(
    private readonly data: MemoryData,
    private readonly assertOpen: () => void,
  ) {}

  load(consumer: string): Promise<PartitionPosition[]> {
    return promised(() => {
      this.assertOpen();
      const positions = this.data.positions.get(consumer);
      if (positions === undefined) return [];
      return [...positions.values()]
        .sort((a, b) => a.partition - b.partition)
        .map((p) => ({ ...p, updatedAt: new Date(p.updatedAt) }));
    });
  }

  commit(consumer: string, member: string, commits: readonly PositionCommit[]): Promise<void> {
    return promised(() => {
      this.assertOpen();
      const valid = commits.map((c) => ({ ...c, position: validatePosition(c.position) }));
      if (valid.length === 0) return;
      const positions = this.data.positions.get(consumer);
      const owners = this.data.membership.assignments.get(consumer) ?? [];
      const updatedAt = new Date();
      const refused: number[] = [];
      for (const { partition, position, generation } of valid) {
        const owner = owners[partition];
        const stored = positions?.get(partition);
        if (
          positions === undefined ||
          stored === undefined ||
          owner?.member !== member ||
          owner.generation > generation
        ) {
          refused.push(partition);
          continue;
        }
        const newer = comparePositions(position, stored.position) > 0;
        positions.set(partition, {
          partition,
          position: newer ? position : stored.position,
          generation,
          updatedAt,
        });
      }
      if (refused.length === 0) return;
      throw new FencedError(
        `member ${member} of ${consumer} no longer owns partitions ${refused.join(', ')}: their commits were refused`,
        { reason: 'stale_generation', details: { consumer, member, partitions: refused } },
      );
    });
  }
}
