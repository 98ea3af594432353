import { describe, expect, it } from 'vitest';
import { ANY_CATEGORY, WakeupSet } from '../../src/core/contracts/wakeups.js';
import { decodeWakeup, encodeWakeup } from '../../src/providers/postgres/wakeup-payload.js';

describe('WakeupSet', () => {
  it('gathers stream hashes per category', () => {
    const set = new WakeupSet();
    set.add('order', 1);
    set.add('order', 2);
    set.add('order', 1);
    set.add('user', 7);
    expect(set.drain()).toEqual([
      { category: 'order', streamHashes: [1, 2] },
      { category: 'user', streamHashes: [7] },
    ]);
    expect(set.size).toBe(0);
  });

  it('forgets the hashes past the limit, or when one add does not know its stream', () => {
    const set = new WakeupSet(3);
    for (let hash = 0; hash < 5; hash++) set.add('order', hash);
    set.add('user', 1);
    set.add('user');
    set.add('user', 2);
    expect(set.drain()).toEqual([{ category: 'order' }, { category: 'user' }]);
  });
});

describe('the NOTIFY payload', () => {
  it('round-trips categories with and without hashes', () => {
    for (const wakeup of [
      { category: 'order' },
      { category: 'order', streamHashes: [0, 2147483647, 12] },
      { category: ANY_CATEGORY },
    ]) {
      expect(decodeWakeup(encodeWakeup(wakeup))).toEqual({ wakeup, origin: undefined });
      expect(decodeWakeup(encodeWakeup(wakeup, 'a1_B-'))).toEqual({ wakeup, origin: 'a1_B-' });
    }
  });

  it('wakes the whole category, or everyone, rather than no one when it cannot parse', () => {
    expect(decodeWakeup('order:1,x,3').wakeup).toEqual({ category: 'order' });
    expect(decodeWakeup('o;order:-1').wakeup).toEqual({ category: 'order' });
    expect(decodeWakeup('').wakeup).toEqual({ category: ANY_CATEGORY });
  });
});
