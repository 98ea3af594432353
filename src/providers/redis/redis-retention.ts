/**
 * Retention on Redis Streams. A category's partitions are orders of their
 * own (a position is a partition's counter), so a prune decides per
 * partition, not over one log as LogPruner does:
 * - the request's target in the partition is the lowest of: its first entry
 *   at or after `before` (position_at_time.lua), its first entry among the
 *   category's newest `keepLast` (counted over the whole category, newest
 *   by event time; see `keptFrom`), and its last entry (always its stream's
 *   newest, so kept anyway);
 * - unless `force`, it is lowered to the committed position in that
 *   partition of each consumer that reads the category (positions are per
 *   partition): that position and every later entry stay;
 * - below the cut, one script per batch (prune_partition.lua, on the
 *   partition's hash tag) deletes every entry but each stream's newest (its
 *   version continues from it) and forgets the deleted events' ids.
 * Stream and log consumers do not exist here (`sequences: ['category']`),
 * so nothing holds a single stream.
 *
 * The category's result reports the partition cut least far: below its
 * `prunedBefore` every partition's events are gone (but streams' newest),
 * and `target` is where the request alone would have cut that partition. A
 * consumer that held back several partitions is named once, at its lowest
 * hold.
 */
import type { PositionStore } from '../../core/contracts/positions.js';
import type { ConsumerRegistry } from '../../core/contracts/registry.js';
import type {
  CategoryPruneResult,
  PruneRequest,
  PruneResult,
  RetentionHold,
  RetentionStore,
} from '../../core/contracts/retention.js';
import { ConsumerHolds } from '../../core/kit/retention/consumer-holds.js';
import { summarizePrune } from '../../core/kit/retention/log-pruner.js';
import { BEGINNING, comparePositions, type Position } from '../../core/position.js';
import type { RedisCategories } from './redis-categories.js';
import { asEntries, entryId, positionOfEntry } from './redis-codec.js';
import type { RedisConnection } from './redis-connection.js';
import type { PartitionKeys } from './redis-keys.js';

/** Entries one prune script looks at: short enough to keep the server responsive. */
export const PRUNE_BATCH_SIZE = 1000;

/** A partition that has had events: its keys and last position. */
interface Partition {
  readonly index: number;
  readonly keys: PartitionKeys;
  readonly last: Position;
}

/** What one partition's prune did. */
interface PartitionCut {
  readonly target: Position;
  readonly cut: Position;
  readonly holds: readonly RetentionHold[];
}

export interface RedisRetentionDeps {
  readonly connection: RedisConnection;
  readonly categories: RedisCategories;
  readonly registry: ConsumerRegistry;
  readonly positions: PositionStore;
  readonly batchSize?: number;
}

export class RedisRetention implements RetentionStore {
  constructor(private readonly deps: RedisRetentionDeps) {}

  async prune(request: PruneRequest): Promise<PruneResult> {
    const { connection, categories, registry, positions } = this.deps;
    // Holds first: a consumer that moves on meanwhile only makes this prune more careful.
    const holds = await ConsumerHolds.load(registry, positions);
    const names =
      request.category === undefined
        ? (await connection.client.hkeys(categories.keys.categories)).sort()
        : [request.category];
    const results: CategoryPruneResult[] = [];
    for (const category of names) {
      const result = await this.pruneCategory(category, request, holds);
      // Every category: only those with events, as on the other providers.
      if (result !== undefined) results.push(result);
      else if (request.category !== undefined) results.push(nothingIn(category));
    }
    return summarizePrune(results);
  }

  private async pruneCategory(
    category: string,
    request: PruneRequest,
    holds: ConsumerHolds,
  ): Promise<CategoryPruneResult | undefined> {
    const partitions = await this.partitionsOf(category);
    if (partitions.length === 0) return undefined;
    const kept = await this.keptFrom(partitions, request.keepLast);
    let deleted = 0;
    const cuts: PartitionCut[] = [];
    for (const partition of partitions) {
      // Never past the last entry: it is always its stream's newest, kept
      // anyway, so a consumer that has handled it holds nothing back.
      const end = partition.last;
      const byTime =
        request.before === undefined ? end : await this.firstAtOrAfter(partition, request.before);
      const byCount = kept === undefined ? end : (kept.get(partition.index) ?? end);
      const target = lowest([end, byTime, byCount]);
      const held =
        request.force === true
          ? []
          : holds
              .inPartition(category, partition.index)
              .filter((h) => comparePositions(h.position, target) < 0);
      const cut = held[0]?.position ?? target;
      if (comparePositions(cut, '1') > 0) deleted += await this.deleteBelow(partition.keys, cut);
      cuts.push({ target, cut, holds: held });
    }
    const least = cuts.reduce((low, c) => (comparePositions(c.cut, low.cut) < 0 ? c : low));
    return {
      category,
      deleted,
      prunedBefore: least.cut,
      target: least.target,
      heldBy: lowestEach(cuts.flatMap((c) => c.holds)),
    };
  }

  /** The category's partitions that have had events (the others have nothing to prune). */
  private async partitionsOf(category: string): Promise<Partition[]> {
    const { connection, categories } = this.deps;
    const count = (await categories.partitionsOf(category)) ?? 0;
    const all = Array.from({ length: count }, (_, index) => ({
      index,
      keys: categories.keys.partition(category, index),
    }));
    const lasts = await Promise.all(all.map((p) => connection.client.hget(p.keys.heads, '#')));
    return all.flatMap((p, i) => {
      const last = lasts[i];
      return last === null || last === undefined ? [] : [{ ...p, last }];
    });
  }

  private async firstAtOrAfter(partition: Partition, before: Date): Promise<Position> {
    const { log, heads } = partition.keys;
    const justBefore = await this.deps.connection.run(
      'position_at_time',
      [log, heads],
      [before.getTime()],
    );
    return successor(String(justBefore));
  }

  /**
   * Per partition, its first entry among the category's newest `keepLast`
   * (a partition with none of them may lose all but streams' newest);
   * undefined when nothing limits the count. There is no order across
   * partitions but time, so "newest" is by event time (ties: the lower
   * partition first), merged from each partition's newest backwards.
   */
  private async keptFrom(
    partitions: readonly Partition[],
    keepLast: number | undefined,
  ): Promise<Map<number, Position> | undefined> {
    if (keepLast === undefined || keepLast === 0) return undefined;
    const page = Math.min(keepLast, PRUNE_BATCH_SIZE);
    const cursors = partitions.map((partition) => new NewestFirst(this.deps.connection, partition));
    const from = new Map<number, Position>();
    for (let taken = 0; taken < keepLast; taken++) {
      let newest: { cursor: NewestFirst; time: number } | undefined;
      for (const cursor of cursors) {
        const time = await cursor.peekTime(page);
        if (time !== undefined && (newest === undefined || time > newest.time))
          newest = { cursor, time };
      }
      // Fewer events than keepLast: the category keeps them all.
      if (newest === undefined) return new Map(partitions.map((p) => [p.index, BEGINNING]));
      from.set(newest.cursor.partition.index, newest.cursor.take());
    }
    return from;
  }

  /** Deletes the partition's entries below `cut` but streams' newest, in batches. */
  private async deleteBelow(keys: PartitionKeys, cut: Position): Promise<number> {
    const upTo = (BigInt(cut) - 1n).toString();
    const batchSize = this.deps.batchSize ?? PRUNE_BATCH_SIZE;
    let after: Position = BEGINNING;
    let deleted = 0;
    for (;;) {
      const [scanned, gone, last] = (await this.deps.connection.runDurably(
        'prune_partition',
        [keys.log, keys.heads, keys.ids],
        [after, upTo, batchSize],
      )) as [number, number, string];
      deleted += gone;
      if (scanned < batchSize || last === '') return deleted;
      after = last;
    }
  }
}

/** A partition's entries from the newest back, a page at a time: position and time only. */
class NewestFirst {
  private entries: { position: Position; time: number }[] = [];
  private before = '+';
  private done = false;

  constructor(
    private readonly connection: RedisConnection,
    readonly partition: Partition,
  ) {}

  async peekTime(page: number): Promise<number | undefined> {
    if (this.entries.length === 0 && !this.done) {
      const read = asEntries(
        await this.connection.client.xrevrange(
          this.partition.keys.log,
          this.before,
          '-',
          'COUNT',
          page,
        ),
      );
      this.entries = read.map(([id, fields]) => ({
        position: positionOfEntry(id),
        time: Number(fields[fields.indexOf('time') + 1]),
      }));
      this.done = read.length < page;
      const oldest = this.entries.at(-1);
      if (oldest !== undefined) this.before = `(${entryId(oldest.position)}`;
    }
    return this.entries[0]?.time;
  }

  take(): Position {
    return this.entries.shift()?.position ?? BEGINNING;
  }
}

function nothingIn(category: string): CategoryPruneResult {
  return { category, deleted: 0, prunedBefore: BEGINNING, target: BEGINNING, heldBy: [] };
}

/** Each consumer once, at its lowest hold (ties: the lower partition). */
function lowestEach(holds: readonly RetentionHold[]): RetentionHold[] {
  const byConsumer = new Map<string, RetentionHold>();
  for (const hold of holds) {
    const known = byConsumer.get(hold.consumer);
    const lower =
      known === undefined ||
      comparePositions(hold.position, known.position) < 0 ||
      (hold.position === known.position && hold.partition < known.partition);
    if (lower) byConsumer.set(hold.consumer, hold);
  }
  return [...byConsumer.values()].sort((a, b) => comparePositions(a.position, b.position));
}

function successor(position: Position): Position {
  return (BigInt(position) + 1n).toString();
}

function lowest(positions: readonly Position[]): Position {
  return positions.reduce((low, p) => (comparePositions(p, low) < 0 ? p : low));
}
