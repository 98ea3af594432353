import { describe, expect, it } from 'vitest';
import type { PartitionPosition } from '../../src/core/contracts/positions.js';
import { gcd, remapPositions } from '../../src/core/kit/repartition.js';
import { comparePositions } from '../../src/core/position.js';
import { streamHash } from '../../src/core/kit/stream-hash.js';

function positions(values: readonly number[]): PartitionPosition[] {
  return values.map((value, partition) => ({
    partition,
    position: String(value),
    generation: 1,
    updatedAt: new Date(0),
  }));
}

function remap(values: readonly number[], newCount: number, fallback = '0'): number[] {
  return remapPositions(positions(values), values.length, newCount, fallback).map((p) =>
    Number(p.position),
  );
}

/** A tiny deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('gcd', () => {
  it('is the greatest common divisor', () => {
    expect(gcd(12, 8)).toBe(4);
    expect(gcd(7, 3)).toBe(1);
    expect(gcd(5, 5)).toBe(5);
    expect(gcd(1, 9)).toBe(1);
  });
});

describe('remapPositions', () => {
  it('is exact from P to 2P: each new partition came from one old one', () => {
    expect(remap([10, 20, 30], 6)).toEqual([10, 20, 30, 10, 20, 30]);
  });

  it('takes the lowest of the merged partitions from 2P to P', () => {
    expect(remap([10, 25, 30, 5, 40, 31], 3)).toEqual([5, 25, 30]);
  });

  it('takes the global minimum for coprime counts', () => {
    expect(remap([10, 20, 7], 4)).toEqual([7, 7, 7, 7]);
    expect(remap([50, 3, 90, 40], 3)).toEqual([3, 3, 3]);
  });

  it('keeps positions when the count does not change', () => {
    expect(remap([4, 8, 15, 16], 4)).toEqual([4, 8, 15, 16]);
  });

  it('compares positions as 64-bit values, not as text or numbers', () => {
    const big = remapPositions(
      [
        { partition: 0, position: '9223372036854775807', generation: 1, updatedAt: new Date(0) },
        { partition: 1, position: '9223372036854775806', generation: 1, updatedAt: new Date(0) },
        { partition: 2, position: '99', generation: 1, updatedAt: new Date(0) },
        { partition: 3, position: '100', generation: 1, updatedAt: new Date(0) },
      ],
      4,
      2,
      '0',
    );
    expect(big).toEqual([
      { partition: 0, position: '99' },
      { partition: 1, position: '100' },
    ]);
  });

  it('uses the fallback where no old position covers a new partition', () => {
    expect(remapPositions([], 4, 2, '17')).toEqual([
      { partition: 0, position: '17' },
      { partition: 1, position: '17' },
    ]);
  });

  it('never starts a stream past its old position, for many random streams and counts', () => {
    const next = random(7);
    const hashes = Array.from({ length: 500 }, (_, k) => streamHash(`order-${k}`));
    const violations: string[] = [];
    for (let trial = 0; trial < 500; trial++) {
      const oldCount = 1 + Math.floor(next() * 12);
      const newCount = 1 + Math.floor(next() * 12);
      const old = Array.from({ length: oldCount }, () => Math.floor(next() * 1000));
      const remapped = remap(old, newCount);
      for (const hash of hashes) {
        const before = old[hash % oldCount] as number;
        const after = remapped[hash % newCount] as number;
        if (after > before) violations.push(`${oldCount} -> ${newCount}: ${after} > ${before}`);
      }
      if (newCount % oldCount === 0) {
        expect(remapped).toEqual(remapped.map((_, j) => old[j % oldCount]));
      }
    }
    expect(violations).toEqual([]);
  });

  it('gives each new partition the lowest position of exactly the old partitions it shares streams with', () => {
    const next = random(11);
    for (let oldCount = 1; oldCount <= 12; oldCount++) {
      for (let newCount = 1; newCount <= 12; newCount++) {
        const old = Array.from({ length: oldCount }, () => Math.floor(next() * 1000));
        // Every hash residue mod lcm(P, N) occurs for some stream: walk them all.
        const lcm = (oldCount * newCount) / gcd(oldCount, newCount);
        const lowest = Array.from({ length: newCount }, () => Infinity);
        for (let hash = 0; hash < lcm; hash++) {
          const j = hash % newCount;
          lowest[j] = Math.min(lowest[j] as number, old[hash % oldCount] as number);
        }
        expect(remap(old, newCount), `${oldCount} -> ${newCount}`).toEqual(lowest);
      }
    }
  });

  it('returns positions that compare correctly as strings', () => {
    const result = remapPositions(positions([9, 10]), 2, 1, '0');
    expect(result).toEqual([{ partition: 0, position: '9' }]);
    expect(comparePositions(result[0]?.position ?? '', '10')).toBe(-1);
  });
});
