import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import {
  subjectMatcher,
  subjectPatternToRegex,
  validateSubject,
  validateSubjectPattern,
} from '../../src/core/subjects.js';

/** The meaning of a pattern, token by token, written independently of the regex. */
function modelMatches(pattern: string, subject: string): boolean {
  const want = pattern.split('.');
  const have = subject.split('.');
  for (let i = 0; i < want.length; i++) {
    const token = want[i];
    if (token === '>') return have.length > i;
    if (i >= have.length) return false;
    if (token !== '*' && token !== have[i]) return false;
  }
  return have.length === want.length;
}

/** A tiny deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('subjects', () => {
  it.each(['order', 'order.cancelled', 'a-b.c_d.9', 'Order.Item.Added'])('accepts %j', (s) => {
    expect(validateSubject(s)).toBe(s);
  });

  it.each([
    '',
    'order.',
    '.order',
    'order..x',
    'order.*',
    'order.>',
    'order cancelled',
    'order/x',
    'ordér',
    "order'; DROP TABLE x;--",
    'a'.repeat(256),
    null,
    5,
  ])('rejects %j', (subject) => {
    expect(() => validateSubject(subject)).toThrow(ValidationError);
    try {
      validateSubject(subject);
    } catch (error) {
      expect((error as ValidationError).reason).toBe('invalid_subject');
    }
  });

  it('accepts the longest subject and not one more', () => {
    expect(validateSubject('a'.repeat(255))).toHaveLength(255);
    expect(() => validateSubject('a'.repeat(256))).toThrow(/1 to 255/);
  });
});

describe('subject patterns', () => {
  it.each(['order.*', 'order.>', '>', '*', '*.created', 'order.*.>', 'order.created'])(
    'accepts %j',
    (pattern) => {
      expect(validateSubjectPattern(pattern)).toBe(pattern);
    },
  );

  it.each(['', 'order.>.x', '>.x', 'order.**', 'order.x*', 'order.>>', 'order.', '..', 'a b'])(
    'rejects %j',
    (pattern) => {
      expect(() => validateSubjectPattern(pattern)).toThrow(ValidationError);
    },
  );

  it('lets `*` match exactly one token', () => {
    const matches = subjectMatcher(['order.*']);
    expect(matches('order.created')).toBe(true);
    expect(matches('order.item.added')).toBe(false);
    expect(matches('order')).toBe(false);
    expect(matches('orders.created')).toBe(false);
    expect(subjectMatcher(['*.created'])('user.created')).toBe(true);
    expect(subjectMatcher(['*'])('order')).toBe(true);
    expect(subjectMatcher(['*'])('order.created')).toBe(false);
  });

  it('lets a final `>` match one or more tokens', () => {
    const matches = subjectMatcher(['order.>']);
    expect(matches('order.created')).toBe(true);
    expect(matches('order.item.added')).toBe(true);
    expect(matches('order')).toBe(false);
    expect(matches('orderx.created')).toBe(false);
    expect(subjectMatcher(['>'])('anything.at.all')).toBe(true);
  });

  it('matches literal tokens whole, without regex meaning', () => {
    expect(subjectMatcher(['order.created'])('order.created')).toBe(true);
    expect(subjectMatcher(['order.created'])('orderXcreated')).toBe(false);
    expect(subjectMatcher(['order.created'])('order.created.x')).toBe(false);
    expect(subjectMatcher(['a-b'])('a-b')).toBe(true);
  });

  it('matches every subject with no patterns, and any of several', () => {
    expect(subjectMatcher([])('whatever.it.is')).toBe(true);
    const matches = subjectMatcher(['order.created', 'user.>']);
    expect(matches('order.created')).toBe(true);
    expect(matches('user.a.b')).toBe(true);
    expect(matches('order.cancelled')).toBe(false);
  });

  it('gives the same answers as the token model, as a regex and as a matcher, for many subjects', () => {
    const next = random(42);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
    const words = ['a', 'b', 'ab', 'a-b', 'a_b', 'x9'];
    const subjects = Array.from({ length: 300 }, () =>
      Array.from({ length: 1 + Math.floor(next() * 4) }, () => pick(words)).join('.'),
    );
    const patterns = Array.from({ length: 200 }, () => {
      const length = 1 + Math.floor(next() * 4);
      return Array.from({ length }, (_, i) =>
        i === length - 1 && next() < 0.3 ? '>' : next() < 0.3 ? '*' : pick(words),
      ).join('.');
    });
    const disagreements: string[] = [];
    let matched = 0;
    for (const pattern of patterns) {
      const regex = new RegExp(subjectPatternToRegex(pattern));
      const matcher = subjectMatcher([pattern]);
      for (const subject of subjects) {
        const expected = modelMatches(pattern, subject);
        if (expected) matched++;
        if (regex.test(subject) !== expected || matcher(subject) !== expected) {
          disagreements.push(`${pattern} ~ ${subject}: expected ${String(expected)}`);
        }
      }
    }
    expect(disagreements).toEqual([]);
    // The sample must exercise both answers to mean anything.
    expect(matched).toBeGreaterThan(500);
    expect(matched).toBeLessThan(patterns.length * subjects.length - 500);
  });

  it('writes anchored regexes that PostgreSQL reads the same way', () => {
    expect(subjectPatternToRegex('order.*')).toBe('^order\\.[^.]+$');
    expect(subjectPatternToRegex('order.>')).toBe('^order\\.[^.]+(\\.[^.]+)*$');
    expect(subjectPatternToRegex('>')).toBe('^[^.]+(\\.[^.]+)*$');
  });
});
