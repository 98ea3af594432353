import type {
  PartitionPosition,
  PositionCommit,
  PositionStore,
  PositionWriter,
  TransactionalWork,
} from '../../core/contracts/positions.js';
import { FencedError } from '../../core/errors.js';
import type { Database } from './database.js';
import { translated } from './errors.js';
import type { QueryBook } from './sql.js';

export class PgPositions<Transaction = unknown>
  implements PositionStore, PositionWriter<Transaction>
{
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
    refuseFenced(consumer, member, commits, rows);
  }

  async commitWithin(
    consumer: string,
    member: string,
    commit: PositionCommit,
    work: (transaction: Transaction) => Promise<TransactionalWork>,
  ): Promise<unknown> {
    try {
      return await translated(() =>
        this.db.transaction(async (tx) => {
          // The driver's own transaction object: of the type the provider was opened with.
          const done = await work(tx.raw as Transaction);
          if (!done.commit) throw new RolledBack(done.value);
          const rows = await tx.query<{ partition: number }>(this.book.get('positions_commit'), [
            consumer,
            member,
            [commit.partition],
            [commit.position],
            [commit.generation],
          ]);
          refuseFenced(consumer, member, [commit], rows);
          return done.value;
        }),
      );
    } catch (error) {
      if (error instanceof RolledBack) return error.value;
      throw error;
    }
  }
}

/** Carries the value of work that asked to roll back out of the transaction. */
class RolledBack extends Error {
  constructor(readonly value: unknown) {
    super('rolled back on purpose');
  }
}

/** Throws for the commits the fenced statement did not store. */
function refuseFenced(
  consumer: string,
  member: string,
  commits: readonly PositionCommit[],
  rows: readonly { partition: number }[],
): void {
  if (rows.length === commits.length) return;
  const committed = new Set(rows.map((row) => row.partition));
  const fenced = commits.map((c) => c.partition).filter((p) => !committed.has(p));
  throw new FencedError(
    `member ${member} of ${consumer} no longer owns partitions ${fenced.join(', ')}: their commits were refused`,
    { reason: 'stale_generation', details: { consumer, member, partitions: fenced } },
  );
}
