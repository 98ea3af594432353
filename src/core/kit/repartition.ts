/**
 * Changing a consumer's partition count must not skip events. An event of
 * stream s is in partition h(s) % P. New partition j (of N) and old partition
 * i (of P) share events only when i ≡ j (mod gcd(P, N)), so new partition j
 * may start from the lowest position among those old partitions: never past
 * an unhandled event, and exact when N is a multiple of P (j's events all
 * came from old partition j % P).
 */
import type { PartitionPosition } from '../contracts/positions.js';
import { comparePositions, type Position } from '../position.js';

export function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

export function remapPositions(
  current: readonly PartitionPosition[],
  oldCount: number,
  newCount: number,
  fallback: Position,
): { partition: number; position: Position }[] {
  const g = gcd(oldCount, newCount);
  const lowest = new Map<number, Position>();
  for (const { partition, position } of current) {
    const residue = partition % g;
    const known = lowest.get(residue);
    if (known === undefined || comparePositions(position, known) < 0) lowest.set(residue, position);
  }
  return Array.from({ length: newCount }, (_, partition) => ({
    partition,
    position: lowest.get(partition % g) ?? fallback,
  }));
}
