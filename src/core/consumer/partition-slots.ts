/**
 * One partition's share of the member's handler slots. When none is free it
 * asks to be handed the next one released; slots handed to it while it
 * waited are used for its next starts, and what it does not use goes back.
 */
import type { HandlerSlots } from './handler-slots.js';

export class PartitionSlots {
  /** Slots handed to this partition while it waited, not yet used. */
  private held = 0;
  private cancelRequest: (() => void) | undefined;

  /**
   * `slots` undefined: one handler per partition is the only bound.
   * `granted` runs when a slot is handed over, so the partition starts again.
   */
  constructor(
    private readonly slots: HandlerSlots | undefined,
    private readonly granted: () => void,
  ) {}

  /** Asked to be handed the next slot released, and not handed one yet. */
  get waiting(): boolean {
    return this.cancelRequest !== undefined;
  }

  /** A slot for one more handler; if none is free, asks to be handed the next one released. */
  take(): boolean {
    const { slots } = this;
    if (slots === undefined) return true;
    if (this.held > 0) {
      this.held--;
      return true;
    }
    if (slots.tryAcquire()) return true;
    this.cancelRequest ??= slots.whenFree(() => {
      this.cancelRequest = undefined;
      this.held++;
      this.granted();
    });
    return false;
  }

  /** A handler finished: its slot goes to the next waiter, or is freed. */
  release(): void {
    this.slots?.release();
  }

  /** Gives back the slots handed over and not used. */
  giveBack(): void {
    for (; this.held > 0; this.held--) this.slots?.release();
  }

  /** The partition is done: withdraws its request and gives back what it holds. */
  close(): void {
    this.cancelRequest?.();
    this.giveBack();
  }
}
