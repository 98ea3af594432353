import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TAIL_LENGTH } from '../../src/bridge/checkpoint-log.js';
import { messageHash, type HeardMessage } from '../../src/bridge/message-buffer.js';
import { lastAppended, resumePoint, type TailEntry } from '../../src/bridge/resume-point.js';

const encoder = new TextEncoder();

/** The messages a process heard: `payloads[i]` at `times[i]` (default 10 ms apart). */
function heard(payloads: readonly string[], times?: readonly number[]): HeardMessage[] {
  return payloads.map((p, i) => {
    const bytes = encoder.encode(p);
    return {
      seq: 100 + i,
      channel: 'orders',
      pattern: undefined,
      bytes,
      receivedAt: times?.[i] ?? i * 10,
      hash: messageHash('orders', bytes),
    };
  });
}

/** A checkpoint's tail as the appending leader records it: the last TAIL_LENGTH it appended. */
function tailOf(appended: readonly HeardMessage[]): TailEntry[] {
  return appended.slice(-TAIL_LENGTH).map((m) => ({ hash: m.hash, at: m.receivedAt }));
}

/** The same messages as heard by a process whose clock reads `skew` ms later. */
function skewed(messages: readonly HeardMessage[], skew: number): HeardMessage[] {
  return messages.map((m) => ({ ...m, receivedAt: m.receivedAt + skew }));
}

const letters = (s: string) => s.split('');

describe('resumePoint', () => {
  it('with no predecessor tail, appends everything held', () => {
    expect(resumePoint(heard(['a', 'b']), [])).toEqual({ index: -1, aligned: true });
    expect(resumePoint([], [])).toEqual({ index: -1, aligned: true });
  });

  it('finds the tail at the end: everything held was appended', () => {
    const held = heard(letters('abcd'));
    expect(resumePoint(held, tailOf(held))).toEqual({ index: 3, aligned: true });
  });

  it.each([1, 2, 5, 9, 10])(
    'resumes after the %i messages the predecessor appended of what was heard',
    (k) => {
      const sequence = letters('abcabdabce');
      const predecessor = heard(sequence);
      const held = skewed(heard(sequence), 3);
      expect(resumePoint(held, tailOf(predecessor.slice(0, k)))).toEqual({
        index: k - 1,
        aligned: true,
      });
    },
  );

  it('compares only the last TAIL_LENGTH appended, however many came before', () => {
    const sequence = Array.from({ length: 40 }, (_, i) => `m${i % 7}`);
    const held = heard(sequence);
    const tail = tailOf(held.slice(0, 30));
    expect(tail).toHaveLength(TAIL_LENGTH);
    expect(resumePoint(held, tail)).toEqual({ index: 29, aligned: true });
  });

  it('tells runs of identical messages apart by their neighbours, whatever the clocks say', () => {
    //                            0    1    2    3    4    5    6    7    8
    const sequence = ['x', 'a', 'a', 'a', 'y', 'a', 'a', 'a', 'z'];
    const held = heard(sequence);
    // Appended through the second "a" of the first run, and the tail's times point at the
    // second run (a clock 40 ms behind): the neighbours win.
    const tail = tailOf(skewed(held.slice(0, 3), 40));
    expect(resumePoint(held, tail)).toEqual({ index: 2, aligned: true });
    // Through the second run's last "a": the "y" before it rules out the first run.
    expect(resumePoint(held, tailOf(held.slice(0, 8)))).toEqual({ index: 7, aligned: true });
  });

  it.each([-4, 0, 4])(
    'tells identical repeated messages apart by arrival time (clock skew %i ms, 10 ms apart)',
    (skew) => {
      // Thirty repeats of one message: the predecessor appended 20, its tail holds the last 16.
      const sequence = Array.from({ length: 30 }, () => 'ping');
      const predecessor = heard(sequence);
      const held = skewed(heard(sequence), skew);
      expect(resumePoint(held, tailOf(predecessor.slice(0, 20)))).toEqual({
        index: 19,
        aligned: true,
      });
    },
  );

  describe('when none of the tail is held, by arrival time alone', () => {
    const held = heard(letters('def'), [100, 110, 120]);

    it('resumes after what was heard up to the last append (the same ms included)', () => {
      const tail = tailOf(heard(letters('ab'), [90, 110]));
      expect(resumePoint(held, tail)).toEqual({ index: 1, aligned: false });
      const earlier = tailOf(heard(letters('ab'), [90, 109]));
      expect(resumePoint(held, earlier)).toEqual({ index: 0, aligned: false });
    });

    it('appends everything held when it is all newer than the last append', () => {
      const tail = tailOf(heard(letters('ab'), [40, 50]));
      expect(resumePoint(held, tail)).toEqual({ index: -1, aligned: false });
    });

    it('appends nothing held when it is all older than the last append', () => {
      const tail = tailOf(heard(letters('ab'), [130, 140]));
      expect(resumePoint(held, tail)).toEqual({ index: 2, aligned: false });
    });

    it('appends nothing when nothing is held', () => {
      const tail = tailOf(heard(letters('ab')));
      expect(resumePoint([], tail)).toEqual({ index: -1, aligned: false });
    });
  });

  it('finds where the predecessor stopped, whenever its last appended are not all one message', () => {
    const GAP = 10;
    // Runs of a few payloads, so that both neighbours and repeats are common.
    const runs = fc.array(
      fc.record({
        payload: fc.constantFrom('a', 'b', 'c'),
        repeat: fc.integer({ min: 1, max: 5 }),
      }),
      { minLength: 1, maxLength: 20 },
    );
    const scenario = runs.chain((r) => {
      const sequence = r.flatMap(({ payload, repeat }) => Array<string>(repeat).fill(payload));
      return fc.record({
        sequence: fc.constant(sequence),
        appended: fc.integer({ min: 0, max: sequence.length }),
        gaps: fc.array(fc.integer({ min: GAP, max: 3 * GAP }), {
          minLength: sequence.length,
          maxLength: sequence.length,
        }),
        skew: fc.integer({ min: -(GAP - 1), max: GAP - 1 }),
      });
    });
    let distinct = 0;
    fc.assert(
      fc.property(scenario, ({ sequence, appended, gaps, skew }) => {
        let t = 1_000_000;
        const times = gaps.map((gap) => (t += gap));
        const predecessor = heard(sequence, times);
        const held = skewed(predecessor, skew);
        const tail = tailOf(predecessor.slice(0, appended));
        const point = resumePoint(held, tail);
        expect(point.aligned).toBe(true);
        if (new Set(tail.map((e) => e.hash)).size > 1) {
          distinct += 1;
          expect(point.index).toBe(appended - 1);
        } else {
          // One message repeated: arrival time decides, within one repeat.
          expect(Math.abs(point.index - (appended - 1))).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 500 },
    );
    // The property was not vacuous.
    expect(distinct).toBeGreaterThan(100);
  });

  describe('lastAppended (a standby following the leader)', () => {
    const held = heard(letters('abcabcabc'));

    it('finds the tail by identity, as resumePoint does', () => {
      expect(lastAppended(held, tailOf(held.slice(0, 5)), 0)).toBe(4);
      expect(lastAppended(held, [], 0)).toBe(-1);
      expect(lastAppended(held, tailOf(heard(['z'])), 0)).toBe(-1);
    });

    it('searches only from `from` on', () => {
      // "c" appended last; the run "abc" at 0-2 matches best, but only 3 on is searched.
      const tail = tailOf(held.slice(0, 3));
      expect(lastAppended(held, tail, 0)).toBe(2);
      expect(lastAppended(held, tail, 3)).toBe(5);
      expect(lastAppended(held, tail, 9)).toBe(-1);
    });
  });

  describe('what it cannot tell apart (the doc comment says so)', () => {
    // Thirty identical messages, 10 ms apart; the predecessor appended 20 of them.
    const sequence = Array.from({ length: 30 }, () => 'tick');
    const predecessor = heard(sequence);
    const tail = tailOf(predecessor.slice(0, 20));

    it.each([
      [12, 18],
      [-12, 20],
    ])(
      'a run of identical messages with a clock skew (%i ms) beyond their spacing resumes one early or late',
      (skew, index) => {
        const point = resumePoint(skewed(heard(sequence), skew), tail);
        expect(point).toEqual({ index, aligned: true });
        expect(Math.abs(point.index - 19)).toBeLessThanOrEqual(1);
      },
    );

    it('a skew of several spacings resumes that many repeats away (more than one)', () => {
      // Pinned as found: the doc comment's "one duplicate or one loss" holds for a skew of
      // up to one and a half spacings; beyond, each further spacing is one more.
      expect(resumePoint(skewed(heard(sequence), 31), tail).index).toBe(16);
      expect(resumePoint(skewed(heard(sequence), -31), tail).index).toBe(22);
    });
  });
});
