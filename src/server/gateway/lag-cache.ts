/**
 * Each partition's lag (committed events after its position), as fetches
 * report it: read with the consumer's status at most every two seconds per
 * consumer on this server, whatever the number of members and fetches, and
 * answered from the last reading meanwhile (none until the first arrives).
 * Counting a deep backlog takes the database a while, so a reading that
 * took long is kept longer: the counts take at most 1/25 of the time.
 */
import type { Millrace } from '../../millrace.js';

const FRESH_MS = 2000;
const FRESH_PER_READING_MS = 25;

interface Reading {
  /** When it may be read again. */
  readonly staleAt: number;
  readonly lag: ReadonlyMap<number, number>;
}

export class LagCache {
  private readonly readings = new Map<string, Reading>();
  private readonly reading = new Set<string>();

  constructor(private readonly millrace: Millrace) {}

  /** The last known lag of these partitions (those not read yet are left out). */
  lagOf(consumer: string, partitions: readonly number[]): Record<string, number> {
    const last = this.readings.get(consumer);
    if (last === undefined || Date.now() > last.staleAt) this.refresh(consumer);
    const lag: Record<string, number> = {};
    for (const partition of partitions) {
      const value = last?.lag.get(partition);
      if (value !== undefined) lag[partition] = value;
    }
    return lag;
  }

  private refresh(consumer: string): void {
    if (this.reading.has(consumer)) return;
    this.reading.add(consumer);
    const started = Date.now();
    this.millrace
      .consumerStatus(consumer)
      .then((status) => {
        const lag = new Map(status.positions.map((p) => [p.partition, p.lag]));
        const now = Date.now();
        const fresh = Math.max(FRESH_MS, FRESH_PER_READING_MS * (now - started));
        this.readings.set(consumer, { staleAt: now + fresh, lag });
      })
      // A reading that fails leaves the last one; the next fetch asks again.
      .catch(() => undefined)
      .finally(() => this.reading.delete(consumer));
  }
}
