/**
 * One timer for the deliveries of one fetch: they share a deadline, so a
 * fetch of hundreds arms one timer rather than hundreds, and the last of
 * them committed clears it. A delivery whose deadline moves (extend) leaves
 * its group for a timer of its own.
 */
export class DeadlineGroup<T> {
  private readonly held = new Set<T>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly deadline: number,
    members: readonly T[],
    expire: (member: T) => void,
  ) {
    for (const member of members) this.held.add(member);
    this.timer = setTimeout(() => {
      for (const member of this.held) expire(member);
      this.held.clear();
    }, deadline - Date.now());
    this.timer.unref();
  }

  /** `member` is settled or has a deadline of its own now. */
  leave(member: T): void {
    if (this.held.delete(member) && this.held.size === 0) clearTimeout(this.timer);
  }
}
