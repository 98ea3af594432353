import type { Position } from '../position.js';
import type { EventSequence } from '../sequence.js';

/** Where a consumer that has no stored position starts. */
export type StartFrom =
  | { readonly kind: 'beginning' }
  | { readonly kind: 'end' }
  | { readonly kind: 'position'; readonly position: Position }
  | { readonly kind: 'time'; readonly time: Date };

/** What the consumer registry stores for one consumer (`001_...`'s registry row). */
export interface ConsumerDefinition {
  readonly name: string;
  readonly sequence: EventSequence;
  readonly subjects: readonly string[];
  readonly partitions: number;
  readonly maxAttempts: number;
}

export interface ConsumerRecord extends ConsumerDefinition {
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface ConsumerRegistry {
  /**
   * Creates the consumer, or updates its subjects, partitions and attempt
   * limit. A consumer seen for the first time gets every partition's position
   * set to `start`, resolved once, here, so a restart never moves it.
   * Registering an existing name over another sequence is a conflict.
   * `from` is what `start` was resolved from: a provider whose positions are
   * per partition (`globalOrder: false`, Kafka) resolves it per partition
   * itself, and `start` is then only a placeholder.
   */
  register(
    definition: ConsumerDefinition,
    start: Position,
    from?: StartFrom,
  ): Promise<ConsumerRecord>;
  /**
   * Moves every partition of a registered consumer to `position` and frees
   * every partition under a new generation, in one step: running members
   * are fenced (their commits are refused), the allocator hands the
   * partitions out again, and their new owners start from `position`.
   * Pending retries are forgotten; dead letters stay. Unknown: NotFoundError.
   * `from` as for `register`.
   */
  reset(name: string, position: Position, from?: StartFrom): Promise<void>;
  get(name: string): Promise<ConsumerRecord | undefined>;
  list(): Promise<ConsumerRecord[]>;
}
