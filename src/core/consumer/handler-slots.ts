/**
 * The handlers one member may run at once, across its partitions. A
 * partition that finds none free asks to be handed the next one released;
 * waiting partitions are served in the order they asked, so a busy
 * partition cannot starve the others.
 */
export class HandlerSlots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly size: number) {
    this.free = size;
  }

  tryAcquire(): boolean {
    if (this.free === 0) return false;
    this.free--;
    return true;
  }

  /**
   * Calls `granted`, holding a slot, as soon as one is released; returns a
   * cancel function (a cancelled request takes nothing).
   */
  whenFree(granted: () => void): () => void {
    this.waiting.push(granted);
    return () => {
      const index = this.waiting.indexOf(granted);
      if (index >= 0) this.waiting.splice(index, 1);
    };
  }

  /** Hands the slot to the longest waiter, or frees it. */
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}
