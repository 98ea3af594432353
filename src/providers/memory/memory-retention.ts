/**
 * Pruning in memory, with the PostgreSQL provider's rules (prune_batch.sql):
 * a category's events below a position go, except each stream's newest
 * event and what a stream consumer still needs. LogPruner decides where.
 */
import { comparePositions, type Position } from '../../core/position.js';
import type {
  CategoryDeletion,
  PrunableLog,
  StreamHoldout,
} from '../../core/kit/retention/log-pruner.js';
import type { MemoryData, StoredEvent } from './memory-data.js';
import { promised } from '../../core/kit/promised.js';

export class MemoryPrunableLog implements PrunableLog {
  constructor(
    private readonly data: MemoryData,
    private readonly assertOpen: () => void,
  ) {}

  categories(): Promise<string[]> {
    return promised(() => {
      this.assertOpen();
      return [...new Set(this.data.events.map((e) => e.category))].sort();
    });
  }

  nthNewest(category: string, n: number): Promise<Position | undefined> {
    return promised(() => {
      this.assertOpen();
      let seen = 0;
      for (let i = this.data.events.length - 1; i >= 0; i--) {
        const event = this.data.events[i] as StoredEvent;
        if (event.category === category && ++seen === n) return String(event.position);
      }
      return undefined;
    });
  }

  deleteBefore(
    category: string,
    before: Position,
    holdouts: readonly StreamHoldout[],
  ): Promise<CategoryDeletion> {
    return promised(() => {
      this.assertOpen();
      const held = new Map(holdouts.map((h) => [h.stream, h.position]));
      const gone: StoredEvent[] = [];
      const heldStreams = new Set<string>();
      for (const event of this.data.events) {
        const position = String(event.position);
        if (event.category !== category || comparePositions(position, before) >= 0) continue;
        if (this.data.streams.get(event.stream)?.at(-1) === event) continue;
        const holdout = held.get(event.stream);
        if (holdout !== undefined && comparePositions(position, holdout) >= 0) {
          heldStreams.add(event.stream);
        } else {
          gone.push(event);
        }
      }
      const goneSet = new Set(gone);
      removeWhere(this.data.events, (e) => goneSet.has(e));
      for (const event of gone) this.data.ids.delete(event.id);
      for (const stream of new Set(gone.map((e) => e.stream))) {
        removeWhere(this.data.streams.get(stream) ?? [], (e) => goneSet.has(e));
      }
      return { deleted: gone.length, heldStreams: [...heldStreams] };
    });
  }
}

/** Removes in place, keeping order: the arrays are shared by reference. */
function removeWhere<T>(items: T[], remove: (item: T) => boolean): void {
  let kept = 0;
  for (const item of items) if (!remove(item)) items[kept++] = item;
  items.length = kept;
}
