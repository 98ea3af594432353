/**
 * Which events each registered consumer still needs: everything of its
 * sequence from its slowest partition's committed position on. A log
 * consumer needs every category, a category consumer its category, a stream
 * consumer its stream. Subject filters are ignored on purpose: a consumer's
 * subjects can be widened later, and it should find the events still there.
 */
import type { PartitionPosition, PositionStore } from '../../contracts/positions.js';
import type { ConsumerRegistry } from '../../contracts/registry.js';
import type { RetentionHold } from '../../contracts/retention.js';
import { categoryOf } from '../../names.js';
import { comparePositions } from '../../position.js';

/** A stream consumer's hold. */
export type StreamHold = RetentionHold & {
  readonly sequence: { readonly kind: 'stream'; readonly stream: string };
};

export class ConsumerHolds {
  private constructor(
    private readonly holds: readonly RetentionHold[],
    /** Every partition's position, by consumer: for providers ordered per partition. */
    private readonly positions: ReadonlyMap<string, readonly PartitionPosition[]>,
  ) {}

  static async load(registry: ConsumerRegistry, positions: PositionStore): Promise<ConsumerHolds> {
    const records = await registry.list();
    const loaded = new Map<string, readonly PartitionPosition[]>();
    const holds = await Promise.all(
      records.map(async (record): Promise<RetentionHold | undefined> => {
        const all = await positions.load(record.name);
        loaded.set(record.name, all);
        const slowest = slowestPartition(all);
        if (slowest === undefined) return undefined;
        return {
          consumer: record.name,
          sequence: record.sequence,
          partition: slowest.partition,
          position: slowest.position,
        };
      }),
    );
    return new ConsumerHolds(
      holds.filter((h): h is RetentionHold => h !== undefined),
      loaded,
    );
  }

  /** Log consumers and the category's consumers, slowest first: they hold the whole category. */
  ofCategory(category: string): RetentionHold[] {
    return this.holds
      .filter(
        ({ sequence }) =>
          sequence.kind === 'log' ||
          (sequence.kind === 'category' && sequence.category === category),
      )
      .sort((a, b) => comparePositions(a.position, b.position));
  }

  /**
   * Where each partition is an order of its own (Redis Streams: a position
   * says nothing of another partition's events), the holds of log and
   * category consumers in one partition of the category, slowest first.
   */
  inPartition(category: string, partition: number): RetentionHold[] {
    return this.ofCategory(category)
      .flatMap((hold) => {
        const at = this.positions.get(hold.consumer)?.find((p) => p.partition === partition);
        return at === undefined ? [] : [{ ...hold, partition, position: at.position }];
      })
      .sort((a, b) => comparePositions(a.position, b.position));
  }

  /** Stream consumers of the category's streams: each holds its stream only. */
  ofStreamsIn(category: string): StreamHold[] {
    return this.holds
      .filter(
        (hold): hold is StreamHold =>
          hold.sequence.kind === 'stream' && categoryOf(hold.sequence.stream) === category,
      )
      .sort((a, b) => comparePositions(a.position, b.position));
  }
}

/** The partition furthest behind: the consumer needs everything from its position on. */
function slowestPartition(positions: readonly PartitionPosition[]): PartitionPosition | undefined {
  let slowest: PartitionPosition | undefined;
  for (const p of positions) {
    if (slowest === undefined || comparePositions(p.position, slowest.position) < 0) slowest = p;
  }
  return slowest;
}
