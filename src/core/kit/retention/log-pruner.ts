/**
 * Retention for providers with one total order over the log (PostgreSQL,
 * PGlite, memory): for each category, a target from the request, lowered to
 * the slowest consumer that reads the category unless forced, then the
 * provider's own deletes. Providers ordered per partition (Kafka, Redis
 * Streams) implement RetentionStore on their own terms.
 */
import type { LogStore } from '../../contracts/log.js';
import type { PositionStore } from '../../contracts/positions.js';
import type { ConsumerRegistry } from '../../contracts/registry.js';
import type {
  CategoryPruneResult,
  PruneRequest,
  PruneResult,
  RetentionHold,
  RetentionStore,
} from '../../contracts/retention.js';
import { BEGINNING, comparePositions, type Position } from '../../position.js';
import { ConsumerHolds } from './consumer-holds.js';

/** A stream whose events from `position` on a stream consumer still needs. */
export interface StreamHoldout {
  readonly stream: string;
  readonly position: Position;
}

export interface CategoryDeletion {
  readonly deleted: number;
  /** Holdout streams that kept events only because of their consumer. */
  readonly heldStreams: readonly string[];
}

/** What a provider does itself; the decisions are LogPruner's. */
export interface PrunableLog {
  /** The categories that have events, in name order. */
  categories(): Promise<string[]>;
  /** The position of the category's `n`th newest event (n >= 1); undefined when it has fewer. */
  nthNewest(category: string, n: number): Promise<Position | undefined>;
  /**
   * Deletes the category's events below `before`, except each stream's
   * newest event (a stream's version continues from it) and, per holdout,
   * its stream's events at or after its position.
   */
  deleteBefore(
    category: string,
    before: Position,
    holdouts: readonly StreamHoldout[],
  ): Promise<CategoryDeletion>;
}

export interface LogPrunerDeps {
  readonly log: LogStore;
  readonly registry: ConsumerRegistry;
  readonly positions: PositionStore;
  readonly prunable: PrunableLog;
}

export class LogPruner implements RetentionStore {
  constructor(private readonly deps: LogPrunerDeps) {}

  async prune(request: PruneRequest): Promise<PruneResult> {
    const { log, registry, positions, prunable } = this.deps;
    // Holds first: a consumer that moves on meanwhile only makes this prune more careful.
    const holds = await ConsumerHolds.load(registry, positions);
    // Never past the readable end: later events are not visible to consumers yet.
    const end = successor(await log.end());
    const byTime =
      request.before === undefined ? end : successor(await log.positionAt(request.before));
    const categories =
      request.category === undefined ? await prunable.categories() : [request.category];
    const results: CategoryPruneResult[] = [];
    for (const category of categories) {
      const byCount = await this.keepLastFrom(category, request.keepLast, end);
      const target = lowest([end, byTime, byCount]);
      results.push(await this.pruneCategory(category, target, holds, request.force === true));
    }
    return summarizePrune(results);
  }

  private async keepLastFrom(
    category: string,
    keepLast: number | undefined,
    end: Position,
  ): Promise<Position> {
    if (keepLast === undefined || keepLast === 0) return end;
    return (await this.deps.prunable.nthNewest(category, keepLast)) ?? BEGINNING;
  }

  private async pruneCategory(
    category: string,
    target: Position,
    holds: ConsumerHolds,
    force: boolean,
  ): Promise<CategoryPruneResult> {
    const behind = (h: RetentionHold) => !force && comparePositions(h.position, target) < 0;
    const categoryHolds = holds.ofCategory(category).filter(behind);
    const streamHolds = holds.ofStreamsIn(category).filter(behind);
    const prunedBefore = categoryHolds[0]?.position ?? target;
    // A stream consumer at or past the cut needs nothing the cut takes.
    const holdouts = streamHolds
      .filter((h) => comparePositions(h.position, prunedBefore) < 0)
      .map((h) => ({ stream: h.sequence.stream, position: h.position }));
    const { deleted, heldStreams } =
      comparePositions(prunedBefore, BEGINNING) > 0
        ? await this.deps.prunable.deleteBefore(category, prunedBefore, holdouts)
        : { deleted: 0, heldStreams: [] };
    const heldBy = [
      ...categoryHolds,
      ...streamHolds.filter((h) => heldStreams.includes(h.sequence.stream)),
    ];
    return { category, deleted, prunedBefore, target, heldBy };
  }
}

/** A prune's result from its categories': totals, the lowest cut, each holding consumer once. */
export function summarizePrune(categories: readonly CategoryPruneResult[]): PruneResult {
  const heldBy = new Map<string, RetentionHold>();
  for (const hold of categories.flatMap((c) => c.heldBy)) heldBy.set(hold.consumer, hold);
  return {
    deleted: categories.reduce((sum, c) => sum + c.deleted, 0),
    prunedBefore:
      categories.length === 0 ? BEGINNING : lowest(categories.map((c) => c.prunedBefore)),
    categories,
    heldBy: [...heldBy.values()].sort((a, b) => comparePositions(a.position, b.position)),
  };
}

function successor(position: Position): Position {
  return (BigInt(position) + 1n).toString();
}

function lowest(positions: readonly Position[]): Position {
  return positions.reduce((low, p) => (comparePositions(p, low) < 0 ? p : low));
}
