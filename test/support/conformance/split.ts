/**
 * Waiting for competing members to share a consumer's partitions, judged by
 * what each member itself works (`consumer.partitions`, or a child's last
 * `assigned` line): the view every provider gives, whoever allocates.
 */
import { waitFor } from '../wait.js';

/** The default partition count, which the suite uses everywhere (Kafka topics have 8). */
export const PARTITIONS = 8;

/**
 * Every partition worked by exactly one member, and the split balanced:
 * no member works two more than another (a cooperative handover passes
 * through unbalanced splits, which are not where it ends), so, while there
 * are no more members than partitions, every member works at least one.
 */
export function isSplit(owned: readonly (readonly number[])[], partitions = PARTITIONS): boolean {
  const all = owned.flat().sort((a, b) => a - b);
  const sizes = owned.map((o) => o.length);
  return (
    all.length === partitions &&
    all.every((p, i) => p === i) &&
    Math.max(...sizes) - Math.min(...sizes) <= 1
  );
}

export async function waitForSplit(
  owned: () => readonly (readonly number[])[],
  what: string,
  timeoutMs: number,
): Promise<void> {
  await waitFor(() => isSplit(owned()), what, timeoutMs).catch((error: Error) => {
    throw new Error(`${error.message}; members work ${JSON.stringify(owned())}`);
  });
}
