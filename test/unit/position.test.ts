import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import {
  BEGINNING,
  comparePositions,
  maxPosition,
  validatePosition,
} from '../../src/core/position.js';

const MAX = '9223372036854775807'; // 2^63 - 1

function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

describe('comparePositions', () => {
  it('orders 19-digit values that a number cannot hold', () => {
    expect(comparePositions(MAX, '9223372036854775806')).toBe(1);
    expect(comparePositions('9223372036854775806', MAX)).toBe(-1);
    expect(comparePositions(MAX, MAX)).toBe(0);
    // Both round to the same double.
    expect(Number('9007199254740993')).toBe(Number('9007199254740992'));
    expect(comparePositions('9007199254740993', '9007199254740992')).toBe(1);
  });

  it('orders by length first, so shorter is smaller', () => {
    expect(comparePositions('999999999999999999', '1000000000000000000')).toBe(-1);
    expect(comparePositions('9', '10')).toBe(-1);
    expect(comparePositions(BEGINNING, '1')).toBe(-1);
  });

  it('agrees with BigInt for many random pairs', () => {
    const randomPosition = () => {
      const digits = Array.from({ length: 19 }, () => Math.floor(Math.random() * 10)).join('');
      const value = BigInt(digits) % 2n ** 63n;
      // Vary the length: divide by 10 a random number of times.
      return (value / 10n ** BigInt(Math.floor(Math.random() * 19))).toString();
    };
    for (let i = 0; i < 5000; i++) {
      const a = randomPosition();
      const b = Math.random() < 0.1 ? a : randomPosition();
      const expected = a === b ? 0 : BigInt(a) < BigInt(b) ? -1 : 1;
      expect(sign(comparePositions(a, b)), `${a} vs ${b}`).toBe(expected);
    }
  });

  it('takes the larger with maxPosition', () => {
    expect(maxPosition('10', '9')).toBe('10');
    expect(maxPosition('9', MAX)).toBe(MAX);
    expect(maxPosition('5', '5')).toBe('5');
  });
});

describe('validatePosition', () => {
  it.each([
    ['0', '0'],
    ['123', '123'],
    [MAX, MAX],
    [0, '0'],
    [42, '42'],
    [Number.MAX_SAFE_INTEGER, '9007199254740991'],
    [5n, '5'],
    [2n ** 63n - 1n, MAX],
  ])('accepts %s as %s', (input, expected) => {
    expect(validatePosition(input)).toBe(expected);
  });

  it.each([
    '-1',
    '01',
    '00',
    '1.5',
    '1e3',
    '',
    ' 1',
    '1 ',
    '0x10',
    '9223372036854775808',
    '99999999999999999999',
    -1,
    1.5,
    NaN,
    Infinity,
    Number.MAX_SAFE_INTEGER + 1,
    -1n,
    2n ** 63n,
    null,
    undefined,
    {},
  ])('rejects %s', (input) => {
    expect(() => validatePosition(input)).toThrow(ValidationError);
    try {
      validatePosition(input);
    } catch (error) {
      expect((error as ValidationError).reason).toBe('invalid_position');
    }
  });
});
