/**
 * Waiting for a consumer's stored positions to cover what its members
 * handled, read through the position store every provider has. A position
 * means "finished up to here" (Kafka: the committed offset minus one), so a
 * partition is covered once its stored position is at or past the latest
 * handled event of that partition.
 */
import { comparePositions, type Millrace } from '../../../src/index.js';
import { waitFor } from '../wait.js';
import type { Handling } from './workload.js';

/** Per partition, the furthest position handled. */
function furthest(handlings: readonly Handling[]): Map<number, string> {
  const ends = new Map<number, string>();
  for (const h of handlings) {
    const end = ends.get(h.partition);
    if (end === undefined || comparePositions(h.position, end) > 0)
      ends.set(h.partition, h.position);
  }
  return ends;
}

export async function waitForCommitted(
  millrace: Millrace,
  consumer: string,
  handlings: readonly Handling[],
  timeoutMs: number,
): Promise<void> {
  const ends = furthest(handlings);
  await waitFor(
    async () => {
      const stored = new Map(
        (await millrace.provider.positions.load(consumer)).map((p) => [p.partition, p.position]),
      );
      return [...ends].every(([partition, end]) => {
        const position = stored.get(partition);
        return position !== undefined && comparePositions(position, end) >= 0;
      });
    },
    `the positions of ${consumer} committed past ${handlings.length} handled events`,
    timeoutMs,
  );
}
