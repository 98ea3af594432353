/** A category name, or this, when the publisher cannot say which. */
export const ANY_CATEGORY = '*';

/** Events were appended: to which category and, when few, which streams (by hash). */
export interface Wakeup {
  readonly category: string;
  /**
   * The stream hashes of the appended events, when known and few: a consumer
   * with P partitions wakes only partitions `hash % P`. Absent: wake them all.
   */
  readonly streamHashes?: readonly number[];
}

/** Told when events are published, so idle consumers read at once instead of on the next poll. */
export type WakeupListener = (wakeup: Wakeup) => void;

export interface WakeupSource {
  /** Resolves once listening; the returned function stops. */
  subscribe(listener: WakeupListener): Promise<() => Promise<void>>;
}

/** Collects wake-ups per category, forgetting the hashes when there are too many to be worth it. */
export class WakeupSet {
  private readonly byCategory = new Map<string, Set<number> | undefined>();

  constructor(private readonly maxHashes = 64) {}

  add(category: string, streamHash?: number): void {
    if (!this.byCategory.has(category)) {
      this.byCategory.set(category, streamHash === undefined ? undefined : new Set([streamHash]));
      return;
    }
    const hashes = this.byCategory.get(category);
    if (hashes === undefined) return;
    if (streamHash === undefined || hashes.size >= this.maxHashes) {
      this.byCategory.set(category, undefined);
    } else {
      hashes.add(streamHash);
    }
  }

  get size(): number {
    return this.byCategory.size;
  }

  /** Takes everything collected, leaving the set empty. */
  drain(): Wakeup[] {
    const wakeups = [...this.byCategory].map(([category, hashes]) =>
      hashes === undefined ? { category } : { category, streamHashes: [...hashes] },
    );
    this.byCategory.clear();
    return wakeups;
  }
}
