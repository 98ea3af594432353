/**
 * A consumer with P > 1 partitions reads `stream_hash % P = i` in position
 * order. Only an expression index on exactly that expression serves it as an
 * index range, so one index exists per partition count in use (pick one P per
 * category: each adds a little to every insert). It is built CONCURRENTLY so
 * publishers are never blocked, under a session advisory lock so two
 * processes never build it at once; a build left invalid by a crash is
 * dropped and redone. The lock is taken by polling, never by waiting: a
 * build waits for every transaction open when it starts, and a session
 * blocked in pg_advisory_lock is such a transaction, waiting for the build.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { SequenceKind } from '../../core/sequence.js';
import type { Database, SqlExecutor } from './database.js';
import type { QueryBook } from './sql.js';

const LOCK_POLL_MS = 50;

export function partitionIndexName(kind: 'log' | 'category', partitions: number): string {
  return `events_${kind}_p${partitions}`;
}

/**
 * Builds in flight in this process, per database: the advisory lock keeps
 * processes apart, but PGlite's one session makes it re-entrant, so callers
 * in one process also wait for each other here.
 */
const building = new WeakMap<Database, Map<string, Promise<void>>>();

export function ensurePartitionIndex(
  db: Database,
  book: QueryBook,
  kind: Exclude<SequenceKind, 'stream'>,
  partitions: number,
): Promise<void> {
  if (!Number.isSafeInteger(partitions) || partitions < 2) return Promise.resolve();
  const index = partitionIndexName(kind, partitions);
  let builds = building.get(db);
  if (builds === undefined) building.set(db, (builds = new Map<string, Promise<void>>()));
  const inFlight = builds.get(index);
  if (inFlight) return inFlight;
  const build = buildIndex(db, book, kind, partitions, index).finally(() => builds.delete(index));
  builds.set(index, build);
  return build;
}

async function buildIndex(
  db: Database,
  book: QueryBook,
  kind: Exclude<SequenceKind, 'stream'>,
  partitions: number,
  index: string,
): Promise<void> {
  const state = async (on: SqlExecutor): Promise<'valid' | 'invalid' | 'missing'> => {
    const rows = await on.query<{ valid: boolean }>(book.get('partition_index_state'), [
      book.names.schema,
      index,
    ]);
    return rows[0] === undefined ? 'missing' : rows[0].valid ? 'valid' : 'invalid';
  };
  if ((await state(db)) === 'valid') return;
  await db.session(async (session) => {
    const lockKey = `millrace:index:${book.names.schema}:${index}`;
    while (!(await tryLock(session, book, lockKey))) await sleep(LOCK_POLL_MS);
    try {
      const now = await state(session);
      if (now === 'valid') return;
      if (now === 'invalid') {
        const drop =
          kind === 'category' ? 'drop_category_partition_index' : 'drop_log_partition_index';
        await session.exec(book.get(drop, partitions));
      }
      const create =
        kind === 'category' ? 'create_category_partition_index' : 'create_log_partition_index';
      await session.exec(book.get(create, partitions));
    } finally {
      await session.query(book.get('index_build_unlock'), [lockKey]);
    }
  });
}

async function tryLock(session: SqlExecutor, book: QueryBook, key: string): Promise<boolean> {
  const rows = await session.query<{ locked: boolean }>(book.get('index_build_try_lock'), [key]);
  return rows[0]?.locked === true;
}
