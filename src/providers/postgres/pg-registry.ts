import type { PartitionPosition } from '../../core/contracts/positions.js';
import type {
  ConsumerDefinition,
  ConsumerRecord,
  ConsumerRegistry,
} from '../../core/contracts/registry.js';
import { ConflictError, NotFoundError } from '../../core/errors.js';
import type { Position } from '../../core/position.js';
import { describeSequence, parseSequence } from '../../core/sequence.js';
import { remapPositions } from '../../core/kit/repartition.js';
import type { Database, SqlExecutor } from './database.js';
import { translated } from './errors.js';
import type { QueryBook } from './sql.js';
import { ensurePartitionIndex } from './partition-index.js';

interface ConsumerRow {
  [key: string]: unknown;
  name: string;
  sequence: string;
  subjects: string[];
  partitions: number;
  max_attempts: number;
  created_at: Date;
  updated_at: Date;
}

function toRecord(row: ConsumerRow): ConsumerRecord {
  return {
    name: row.name,
    sequence: parseSequence(row.sequence),
    subjects: row.subjects,
    partitions: row.partitions,
    maxAttempts: row.max_attempts,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function sameOptions(row: ConsumerRow, definition: ConsumerDefinition): boolean {
  return (
    row.partitions === definition.partitions &&
    row.max_attempts === definition.maxAttempts &&
    row.subjects.join('\n') === definition.subjects.join('\n')
  );
}

export class PgRegistry implements ConsumerRegistry {
  constructor(
    private readonly db: Database,
    private readonly book: QueryBook,
  ) {}

  async register(definition: ConsumerDefinition, start: Position): Promise<ConsumerRecord> {
    const record = await translated(() =>
      this.db.transaction((tx) => this.upsert(tx, definition, start)),
    );
    const kind = definition.sequence.kind;
    if (kind !== 'stream' && definition.partitions > 1) {
      await translated(() => ensurePartitionIndex(this.db, this.book, kind, definition.partitions));
    }
    return record;
  }

  async reset(name: string, position: Position): Promise<void> {
    await translated(() =>
      this.db.transaction(async (tx) => {
        const [existing] = await tx.query<ConsumerRow>(this.book.get('consumer_lock'), [name]);
        if (existing === undefined) {
          throw new NotFoundError(`no consumer named ${JSON.stringify(name)}`, {
            reason: 'unknown_consumer',
          });
        }
        await tx.query(this.book.get('assignments_reset'), [name]);
        const [row] = await tx.query<{ generation: string }>(this.book.get('consumer_generation'), [
          name,
        ]);
        await tx.query(this.book.get('positions_reset'), [
          name,
          position,
          existing.partitions,
          row?.generation ?? '0',
        ]);
        await tx.query(this.book.get('deliveries_reset'), [name]);
        // The allocator (and the members) hear of it at once, after the commit.
        await tx.query(this.book.get('membership_notify'), [name]);
      }),
    );
  }

  async get(name: string): Promise<ConsumerRecord | undefined> {
    const rows = await translated(() =>
      this.db.query<ConsumerRow>(this.book.get('consumer_get'), [name]),
    );
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }

  async list(): Promise<ConsumerRecord[]> {
    const rows = await translated(() =>
      this.db.query<ConsumerRow>(this.book.get('consumers_list')),
    );
    return rows.map(toRecord);
  }

  private async upsert(
    tx: SqlExecutor,
    definition: ConsumerDefinition,
    start: Position,
  ): Promise<ConsumerRecord> {
    const sequence = describeSequence(definition.sequence);
    const [existing] = await tx.query<ConsumerRow>(this.book.get('consumer_lock'), [
      definition.name,
    ]);
    if (existing === undefined) {
      const [inserted] = await tx.query<ConsumerRow>(this.book.get('consumer_insert'), [
        definition.name,
        sequence,
        definition.subjects,
        definition.partitions,
        definition.maxAttempts,
        start,
      ]);
      if (inserted !== undefined) return toRecord(inserted);
      // Another process registered it between our lookup and insert: take its row.
      return this.upsert(tx, definition, start);
    }
    if (existing.sequence !== sequence) {
      throw new ConflictError(
        `consumer ${JSON.stringify(definition.name)} reads ${existing.sequence}, not ${sequence}: choose another name for another sequence`,
        false,
        {
          reason: 'consumer_sequence_mismatch',
          details: { registered: existing.sequence, requested: sequence },
        },
      );
    }
    if (sameOptions(existing, definition)) return toRecord(existing);
    if (existing.partitions !== definition.partitions) {
      const rows = await tx.query<{ partition: number; position: string; generation: number }>(
        this.book.get('positions_load'),
        [definition.name],
      );
      const current: PartitionPosition[] = rows.map((row) => ({ ...row, updatedAt: new Date() }));
      const remapped = remapPositions(current, existing.partitions, definition.partitions, start);
      const generation = Math.max(0, ...current.map((p) => p.generation)) + 1;
      await tx.query(this.book.get('assignments_reset'), [definition.name]);
      await tx.query(this.book.get('positions_delete'), [definition.name]);
      await tx.query(this.book.get('positions_insert'), [
        definition.name,
        remapped.map((p) => p.partition),
        remapped.map((p) => p.position),
        generation,
      ]);
    }
    const [updated] = await tx.query<ConsumerRow>(this.book.get('consumer_update'), [
      definition.name,
      definition.subjects,
      definition.partitions,
      definition.maxAttempts,
    ]);
    return toRecord(updated as ConsumerRow);
  }
}
