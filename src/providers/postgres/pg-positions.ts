import type {
  PartitionPosition,
  PositionCommit,
  PositionStore,
} from '../../core/contracts/positions.js';
import { FencedError } from '../../core/errors.js';
import type { Database } from './database.js';
import { translated } from './errors.js';
import type { QueryBook } from './sql.js';

export class PgPositions implements PositionStore {
  constructor(
    private readonly db: Database,
    private readonly book: QueryBook,
  ) {}

  async load(consumer: string): Promise<PartitionPosition[]> {
    const rows = await translated(() =>
      this.db.query<{ partition: number; position: string; generation: number; updated_at: Date }>(
        this.book.get('positions_load'),
        [consumer],
      ),
    );
    return rows.map((row) => ({
      partition: row.partition,
      position: row.position,
      generation: row.generation,
      updatedAt: row.updated_at,
    }));
  }

  async commit(
    consumer: string,
    member: string,
    commits: readonly PositionCommit[],
  ): Promise<void> {
    if (commits.length === 0) return;
    const rows = await translated(() =>
      this.db.query<{ partition: number }>(this.book.get('positions_commit'), [
        consumer,
        member,
        commits.map((c) => c.partition),
        commits.map((c) => c.position),
        commits.map((c) => c.generation),
      ]),
    );
    if (rows.length === commits.length) return;
    const committed = new Set(rows.map((row) => row.partition));
    const fenced = commits.map((c) => c.partition).filter((p) => !committed.has(p));
    throw new FencedError(
      `member ${member} of ${consumer} no longer owns partitions ${fenced.join(', ')}: their commits were refused`,
      { reason: 'stale_generation', details: { consumer, member, partitions: fenced } },
    );
  }
}
