/**
 * A delivery's id, which the worker commits it by: opaque to the worker, it
 * names the partition, the generation the partition was granted in, the
 * attempt and the event (`d.<partition>.<generation>.<attempt>.<event id>`).
 * A delivery that is no longer the member's is remembered for a while with
 * why, so a late commit is told `fenced` (the partition moved, or the member
 * ended) or `expired` (its deadline passed) rather than `unknown`.
 */
export type DeliveryStatus = 'applied' | 'fenced' | 'expired' | 'unknown';

/** Settled deliveries whose fate is remembered, newest kept. */
const REMEMBERED = 20_000;

const SHAPE = /^d\.\d+\.\d+\.\d+\.\S+$/;

export class DeliveryIds {
  private readonly settled = new Map<string, DeliveryStatus>();

  /**
   * `takenOver`: the member ran on another server before this one; a
   * delivery of its that this server never saw was handed out there, and
   * its partition has moved since (to this server's incarnation or on).
   */
  constructor(private readonly takenOver = false) {}

  next(partition: number, generation: number, attempt: number, eventId: string): string {
    return `d.${partition}.${generation}.${attempt}.${eventId}`;
  }

  remember(id: string, status: DeliveryStatus): void {
    this.settled.set(id, status);
    if (this.settled.size > REMEMBERED) {
      const oldest = this.settled.keys().next().value as string;
      this.settled.delete(oldest);
    }
  }

  /** What is known of a delivery the member no longer holds. */
  statusOf(id: string): DeliveryStatus {
    return this.settled.get(id) ?? (this.takenOver && SHAPE.test(id) ? 'fenced' : 'unknown');
  }
}
