/**
 * The bridge tests' checker sees what it guards against: a lost message a
 * surviving process heard, a lost one nobody alive heard, a duplicate and
 * a message nobody published.
 */
import { describe, expect, it } from 'vitest';
import { checkDelivery, ranges } from '../support/bridge-checker.js';

const published = Array.from({ length: 10 }, (_, seq) => ({ seq, at: 100 + seq * 10 }));

describe('the bridge delivery checker', () => {
  it('passes a log that holds every message once', () => {
    const verdict = checkDelivery(
      published,
      [...Array(10).keys()],
      [{ pid: 1, startedAt: 0, killed: false }],
    );
    expect(verdict).toMatchObject({ lost: [], lostCovered: [], duplicated: [], unknown: [] });
  });

  it('sees a loss, and whether a surviving process had heard it', () => {
    const landed = [0, 1, 2, 5, 6, 7, 8, 9];
    // The survivor subscribed at 135: it heard 4 (at 140) but not 3 (at 130).
    const verdict = checkDelivery(published, landed, [
      { pid: 1, startedAt: 0, killed: true },
      { pid: 2, startedAt: 135, killed: false },
      { pid: 3, startedAt: undefined, killed: false },
    ]);
    expect(verdict.lost).toEqual([3, 4]);
    expect(verdict.lostCovered).toEqual([4]);
  });

  it('sees a duplicate and a message nobody published', () => {
    const verdict = checkDelivery(published, [...Array(10).keys(), 4, 4, 42], []);
    expect(verdict.duplicated).toEqual([4]);
    expect(verdict.unknown).toEqual([42]);
    expect(ranges([9, 1, 2, 3, 7])).toBe('1-3, 7, 9');
  });
});
