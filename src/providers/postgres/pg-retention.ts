/**
 * Pruning on PostgreSQL and PGlite: the provider's half of LogPruner. Deletes
 * go in batches of `batchSize` rows, each in its own short transaction, so a
 * large prune never holds one huge transaction (nor its locks and WAL).
 */
import type { Position } from '../../core/position.js';
import type {
  CategoryDeletion,
  PrunableLog,
  StreamHoldout,
} from '../../core/kit/retention/log-pruner.js';
import type { Database, Row } from './database.js';
import { translated } from './errors.js';
import type { QueryName } from './sql/generated.js';
import type { QueryBook } from './sql.js';

export const PRUNE_BATCH_SIZE = 10_000;

interface BatchRow {
  [key: string]: unknown;
  scanned: number;
  deleted: number;
  scanned_to: string | null;
  held_streams: string[];
}

export class PgPrunableLog implements PrunableLog {
  constructor(
    private readonly db: Database,
    private readonly book: QueryBook,
    private readonly batchSize: number = PRUNE_BATCH_SIZE,
  ) {}

  async categories(): Promise<string[]> {
    const rows = await translated(() =>
      this.db.query<{ category: string }>(this.book.get('prune_categories')),
    );
    return rows.map((row) => row.category);
  }

  async nthNewest(category: string, n: number): Promise<Position | undefined> {
    const rows = await this.inOrder<{ position: string }>('prune_nth_newest', [category, n]);
    return rows[0]?.position;
  }

  async deleteBefore(
    category: string,
    before: Position,
    holdouts: readonly StreamHoldout[],
  ): Promise<CategoryDeletion> {
    const streams = holdouts.map((h) => h.stream);
    const positions = holdouts.map((h) => h.position);
    let after: Position = '0';
    let deleted = 0;
    const heldStreams = new Set<string>();
    for (;;) {
      const [row] = await this.inOrder<BatchRow>('prune_batch', [
        category,
        after,
        before,
        this.batchSize,
        streams,
        positions,
      ]);
      deleted += row?.deleted ?? 0;
      row?.held_streams.forEach((stream) => heldStreams.add(stream));
      if (row?.scanned_to == null || row.scanned < this.batchSize) {
        return { deleted, heldStreams: [...heldStreams] };
      }
      after = row.scanned_to;
    }
  }

  /** One statement in its own short transaction, planned to walk its index in order. */
  private inOrder<R extends Row>(query: QueryName, params: readonly unknown[]): Promise<R[]> {
    return translated(() =>
      this.db.transaction(async (tx) => {
        await tx.query(this.book.get('prune_ordered_scan'));
        return tx.query<R>(this.book.get(query), params);
      }),
    );
  }
}
